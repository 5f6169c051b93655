// SPDX-License-Identifier: MIT
/*
 * stress.c - threads claiming and releasing at random for a bounded time.
 * A shadow owner table, updated by CAS, catches any room granted to two
 * owners at once; a stamp written into each room catches a room that
 * changed hands under its owner, or was not scrubbed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stress.h"
#include "support.h"
#include "test_clock.h"

static void take(struct worker *w, uint32_t owner, uint32_t room)
{
	uint32_t none = 0;
	uint64_t *stamp = (uint64_t *)(w->s->m->pool +
				       (size_t)room * LAB_ROOM_SIZE);

	if (!atomic_compare_exchange_strong(&w->s->shadow[room], &none, owner))
		atomic_fetch_add(&w->s->failures, 1);	/* two owners */
	if (*stamp != 0)
		atomic_fetch_add(&w->s->failures, 1);	/* not scrubbed */
	*stamp = owner;
}

static void give(struct worker *w, uint32_t owner, uint32_t room)
{
	uint64_t *stamp = (uint64_t *)(w->s->m->pool +
				       (size_t)room * LAB_ROOM_SIZE);

	if (*stamp != owner || lab_room_owner(w->s->m, room) != owner)
		atomic_fetch_add(&w->s->failures, 1);
	/* Before the release: afterwards someone else may take it. */
	atomic_store(&w->s->shadow[room], 0);
}

static void release_some(struct worker *w, struct lab_cursor *cur,
			 unsigned int k)
{
	uint32_t *batch = w->held + w->n - k;

	for (unsigned int i = 0; i < k; i++)
		give(w, lab_cursor_owner(cur), batch[i]);
	if (lab_release(cur, batch, k))
		atomic_fetch_add(&w->s->failures, 1);
	w->n -= k;
}

void *stress_worker(void *arg)
{
	struct worker *w = arg;
	struct lab_cursor cur;
	unsigned int seed = w->vcpu * 7919 + 1;
	double end = wall_ns() + RUN_NS;
	long ops = 0;

	lab_cursor_init(&cur, w->s->m, w->vcpu);
	while (wall_ns() < end) {
		unsigned int k = rand_r(&seed) % 48 + 1;

		if (w->n + k <= HELD_MAX && rand_r(&seed) % 2) {
			k = lab_claim(&cur, LAB_GFP_ATOMIC, rand_r(&seed) % 2, k,
				      w->held + w->n);
			for (unsigned int i = 0; i < k; i++)
				take(w, lab_cursor_owner(&cur), w->held[w->n + i]);
			w->n += k;
		} else {
			release_some(w, &cur, k < w->n ? k : w->n);
		}
		ops++;
	}
	while (w->n)	/* a batch is at most LAB_HC_BATCH_MAX rooms */
		release_some(w, &cur, w->n < LAB_HC_BATCH_MAX ? w->n : LAB_HC_BATCH_MAX);
	lab_cursor_park(&cur);
	atomic_fetch_add(&w->s->ops, ops);
	return NULL;
}


static void *scrubber(void *arg)
{
	struct stress *s = arg;
	struct lab_cursor cur;

	lab_cursor_init(&cur, s->m, THREADS);
	while (!atomic_load(&s->done))
		lab_scrub(&cur, 16);
	lab_cursor_park(&cur);
	return NULL;
}

int stress_run(struct stress *s, uint32_t rooms)
{
	static struct worker w[THREADS];
	pthread_t t[THREADS], scrub;

	s->m = heap_lab(rooms, 2 > rooms / 512 ? 1 : 2, 0, true);
	memset(s->m->pool, 0, (size_t)rooms * LAB_ROOM_SIZE);
	pthread_create(&scrub, NULL, scrubber, s);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .s = s, .vcpu = (uint32_t)i };
		pthread_create(&t[i], NULL, stress_worker, &w[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&s->done, true);
	pthread_join(scrub, NULL);
	return atomic_load(&s->failures);
}
