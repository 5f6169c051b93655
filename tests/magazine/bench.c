/*
 * The magazine's own costs, natively on the host (the guest runs the same
 * shared/magazine.c, emulated). Prints
 *   BENCH magazine.alloc_free <ns> ns         one hit: pop and push
 *   BENCH magazine.refill.per_room <ns> ns    refill and drain bookkeeping per
 *                                             room, with a source that costs
 *                                             next to nothing (no exit)
 * Each is the best of several runs of many iterations.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "magazine.h"
#include "test_clock.h"

#define RUNS 7
#define ALLOC_FREE_ITERS 20000000
#define REFILL_ITERS 200000

/* A source that hands out consecutive addresses and takes anything back. */
static uint64_t next_room = 0x100000000ull;

static int64_t cheap_claim(void *ctx, uint32_t n, uint64_t *rooms)
{
	(void)ctx;
	for (uint32_t i = 0; i < n; i++)
		rooms[i] = next_room += 4096;
	return n;
}

static int64_t cheap_release(void *ctx, uint32_t n, const uint64_t *rooms)
{
	(void)ctx, (void)n, (void)rooms;
	return 0;
}

static const struct lab_mag_source cheap = {cheap_claim, cheap_release, NULL};
static volatile uint64_t sink;

static double alloc_free(void)
{
	static struct lab_magazine m;
	double t0;

	lab_mag_init(&m, 64, 32);
	lab_mag_free(&m, &cheap, lab_mag_alloc(&m, &cheap));
	t0 = wall_ns();
	for (int i = 0; i < ALLOC_FREE_ITERS; i++) {
		uint64_t r = lab_mag_alloc(&m, &cheap);
		sink = r;
		lab_mag_free(&m, &cheap, r);
	}
	return (wall_ns() - t0) / ALLOC_FREE_ITERS;
}

/* Every alloc from an empty magazine refills a batch; every free into a
 * full one drains a batch: alloc 64 (2 refills), free 64 + 32 (1 drain). */
static double refill_per_room(void)
{
	static struct lab_magazine m;
	static uint64_t held[96];
	uint64_t rooms = 0;
	double t0;

	lab_mag_init(&m, 64, 32);
	t0 = wall_ns();
	for (int it = 0; it < REFILL_ITERS; it++) {
		uint64_t before = m.stats.refilled + m.stats.drained;
		for (int i = 0; i < 96; i++)
			held[i] = lab_mag_alloc(&m, &cheap);
		for (int i = 0; i < 96; i++)
			lab_mag_free(&m, &cheap, held[i]);
		lab_mag_flush(&m, &cheap);
		rooms += m.stats.refilled + m.stats.drained - before;
	}
	return (wall_ns() - t0) / (double)rooms;
}

static double best(double (*fn)(void))
{
	double b = fn();

	for (int i = 1; i < RUNS; i++) {
		double t = fn();
		if (t < b)
			b = t;
	}
	return b;
}

int main(void)
{
	printf("BENCH magazine.alloc_free %.2f ns\n", best(alloc_free));
	printf("BENCH magazine.refill.per_room %.2f ns\n", best(refill_per_room));
	return 0;
}
