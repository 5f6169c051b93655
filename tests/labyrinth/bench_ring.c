// SPDX-License-Identifier: MIT
/*
 * bench_ring.c - see bench_ring.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"	/* builds its handles by hand */
#include "bench_guard.h"
#include "bench_ring.h"

#define FILL_VCPU	999

/* An empty hall again, every room free. */
static void ring_lab_format(struct labyrinth *m, void *hall, uint32_t rooms)
{
	struct lab_geometry geo = { rooms, 1, 0 };
	size_t len = lab_hall_size(&geo);

	memset(hall, 0, len);
	if (lab_hall_format(hall, &geo) || lab_bind(m, hall, NULL, 0))
		abort();
}

struct labyrinth *ring_lab_new(uint32_t rooms)
{
	struct lab_geometry geo = { rooms, 1, 0 };
	struct labyrinth *m = calloc(1, sizeof(*m));

	ring_lab_format(m, aligned_alloc(4096, lab_hall_size(&geo)), rooms);
	return m;
}

void ring_lab_free(struct labyrinth *m)
{
	free(m->hall);
	free(m);
}

uint32_t ring_rooms(unsigned int batch)
{
	uint32_t rooms = batch * RING_BATCHES;

	return rooms > RING_MIN_ROOMS ? rooms : RING_MIN_ROOMS;
}

void ring_fill(struct labyrinth *m, unsigned int pct, uint32_t held)
{
	uint32_t rooms = lab_rooms(m), got = 0, keep, n;
	uint32_t *all = malloc((rooms + LAB_HC_BATCH_MAX) * sizeof(*all));
	unsigned int seed = 42;
	struct lab_cursor cur;

	ring_lab_format(m, m->hall, rooms);
	lab_cursor_init(&cur, m, FILL_VCPU);
	while (got < rooms)
		got += lab_claim(&cur, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX,
				 all + got);
	for (uint32_t i = rooms - 1; i > 0; i--) {
		uint32_t j = (uint32_t)rand_r(&seed) % (i + 1), t = all[i];

		all[i] = all[j];
		all[j] = t;
	}
	keep = (uint32_t)((uint64_t)rooms * pct / 100);
	keep = keep > held ? keep - held : 0;
	for (uint32_t i = keep; i < rooms; i += n) {
		n = rooms - i < LAB_HC_BATCH_MAX ? rooms - i : LAB_HC_BATCH_MAX;
		lab_release(&cur, all + i, n);
	}
	lab_cursor_park(&cur);
	free(all);
}

static pthread_barrier_t start;

static void claim_batch(struct lab_cursor *cur, unsigned int batch,
			uint32_t *out)
{
	unsigned int got = 0, k;

	while (got < batch) {
		k = lab_claim(cur, LAB_GFP_ATOMIC, 0, batch - got, out + got);
		if (!k)
			abort();	/* the fill left too little */
		got += k;
	}
}

/* Distinct map words and districts of each batch of @ring, averaged
 * (rooms of one word or district come out of a claim side by side). */
static void ring_spread(struct ring_run *r, const uint32_t *ring,
			uint32_t slots)
{
	uint32_t words = 0, districts = 0;

	for (uint32_t i = 0; i < slots * r->batch; i++) {
		bool first = i % r->batch == 0;

		words += first || ring[i] / 64 != ring[i - 1] / 64;
		districts += first || ring[i] / LAB_DISTRICT_ROOMS !=
				      ring[i - 1] / LAB_DISTRICT_ROOMS;
	}
	r->words = (double)words / slots;
	r->districts = (double)districts / slots;
}

static void *ring_thread(void *arg)
{
	struct ring_run *r = arg;
	uint32_t slots = ring_rooms(r->batch) / r->batch;
	uint32_t *ring = malloc(slots * r->batch * sizeof(*ring));
	struct lab_cursor cur;
	double t0, c0;

	lab_cursor_init(&cur, r->m, r->vcpu);
	for (uint32_t s = 0; s < slots; s++)
		claim_batch(&cur, r->batch, ring + s * r->batch);
	pthread_barrier_wait(&start);
	t0 = wall_ns();
	c0 = thread_cpu_ns();
	for (long i = 0; i < r->ops; i++) {
		uint32_t *slot = ring + (uint32_t)(i % slots) * r->batch;

		lab_release(&cur, slot, r->batch);
		claim_batch(&cur, r->batch, slot);
	}
	r->cpu_ns = thread_cpu_ns() - c0;
	r->wall_ns = wall_ns() - t0;
	ring_spread(r, ring, slots);
	for (uint32_t s = 0; s < slots; s++)
		lab_release(&cur, ring + s * r->batch, r->batch);
	lab_cursor_park(&cur);
	free(ring);
	return NULL;
}

void ring_go(struct ring_run *r, int n)
{
	pthread_t t[8];

	pthread_barrier_init(&start, NULL, (unsigned int)n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, ring_thread, &r[i]);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

double ring_rmw_ns(void)
{
	static _Alignas(64) _Atomic uint64_t line[64][8];
	long n = 1l << 22;
	double t0 = wall_ns();

	for (long i = 0; i < n; i++)
		atomic_fetch_or(&line[i % 64][0], 1ull << (i % 64));
	return (wall_ns() - t0) / (double)n;
}
