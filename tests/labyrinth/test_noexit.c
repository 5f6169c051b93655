// SPDX-License-Identifier: MIT
/*
 * test_noexit.c - no false "no exit": a GFP_ATOMIC claim of one
 * room never gets nothing while rooms are free or dirty, with the
 * background worker zeroing beside it, a CPU hog taking turns with both,
 * one or two claiming threads.  Every claim is counted, none may fail.
 *
 * The pool is 99 % claimed, so what is free is little and almost all of
 * it dirty at any moment (the rings keep releasing): every claim goes
 * through the worker's and the claimers' handovers.  Each room claimed is
 * checked zero (never a dirty room), then stamped as a guest would.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>

#include "labyrinth_host.h"
#include "support.h"

#define ROOMS		(32u * LAB_DISTRICT_ROOMS)
#define FILL_PCT	99u
#define RING		32u

struct run {
	struct labyrinth *m;
	uint32_t vcpu;
	bool park;			/* hold no district between claims */
	long claims;			/* claims to make */
	long refused, dirty, bad_releases;	/* what went wrong */
	uint32_t free_at_refusal;	/* a census right after the first refusal */
};

static _Atomic bool hog_stop;

static void *hog(void *arg)
{
	volatile unsigned long spin = 0;

	(void)arg;
	while (!atomic_load_explicit(&hog_stop, memory_order_relaxed))
		spin++;
	return NULL;
}

/* A tight worker: lab_scrub without the real one's idle sleep, so its
 * scans meet the claims as often as the machine allows. */
static _Atomic bool worker_stop;

static void *tight_worker(void *arg)
{
	struct lab_cursor cur;

	lab_cursor_init(&cur, arg, LAB_MAX_VCPUS - 1);
	while (!atomic_load_explicit(&worker_stop, memory_order_relaxed))
		if (!lab_scrub(&cur, 64))
			sched_yield();
	lab_cursor_park(&cur);
	return NULL;
}

static bool room_is_zero(struct labyrinth *m, uint32_t room)
{
	const uint64_t *p = (const uint64_t *)(m->pool + (size_t)room * LAB_ROOM_SIZE);

	return !p[0] && !p[LAB_ROOM_SIZE / 16] && !p[LAB_ROOM_SIZE / 8 - 1];
}

static void stamp(struct labyrinth *m, uint32_t room)
{
	uint64_t *p = (uint64_t *)(m->pool + (size_t)room * LAB_ROOM_SIZE);

	p[0] = p[LAB_ROOM_SIZE / 16] = p[LAB_ROOM_SIZE / 8 - 1] = room + 1;
}

/* A ring of single rooms: release the oldest, claim one in its place. */
static void *churn(void *arg)
{
	struct run *r = arg;
	uint32_t ring[RING];
	struct lab_cursor cur;

	lab_cursor_init(&cur, r->m, r->vcpu);
	for (uint32_t i = 0; i < RING; i++) {
		while (lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, &ring[i]) != 1)
			r->refused++;
		stamp(r->m, ring[i]);
	}
	for (long i = 0; i < r->claims; i++) {
		uint32_t *slot = &ring[i % RING];

		if (lab_release(&cur, slot, 1))
			r->bad_releases++;
		if (lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, slot) != 1) {
			if (!r->refused++) {
				struct lab_census c;

				lab_census(r->m, &c);
				r->free_at_refusal = c.free;
			}
			/* Keep the ring whole: claim until one comes. */
			while (lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, slot) != 1)
				;
		}
		if (!room_is_zero(r->m, *slot))
			r->dirty++;
		stamp(r->m, *slot);
		if (r->park)
			lab_cursor_park(&cur);
	}
	if (lab_release(&cur, ring, RING))
		r->bad_releases++;
	lab_cursor_park(&cur);
	return NULL;
}

/*
 * Fill to FILL_PCT with rooms of vCPU 100 (never released), thinned
 * uniformly: every district as full as the others, so two claimers each
 * find free rooms in their own districts (a district one holds is the
 * other's to wait for, not to claim in).  The free rooms start clean.
 */
static struct labyrinth *filled(uint32_t threads)
{
	struct labyrinth *m = shared_lab(ROOMS, 1);
	uint32_t keep = ROOMS / 100 * FILL_PCT - threads * RING;
	uint32_t *all = malloc((ROOMS + LAB_HC_BATCH_MAX) * sizeof(*all));
	unsigned int seed = 28;
	struct lab_cursor fill, scrubber;

	lab_cursor_init(&fill, m, 100);
	lab_cursor_init(&scrubber, m, 101);
	for (uint32_t got = 0; got < ROOMS;) {
		unsigned int k = lab_claim(&fill, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX,
					   all + got);

		cr_assert_gt(k, 0);
		got += k;
	}
	for (uint32_t i = ROOMS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)rand_r(&seed) % (i + 1), t = all[i];

		all[i] = all[j];
		all[j] = t;
	}
	for (uint32_t i = keep; i < ROOMS; i++)
		cr_assert_eq(lab_release(&fill, &all[i], 1), 0);
	lab_cursor_park(&fill);
	while (lab_scrub(&scrubber, LAB_HC_BATCH_MAX))
		;
	free(all);
	return m;
}

static void churn_with(uint32_t threads, bool real_worker, bool with_hog,
		       bool park, long claims)
{
	struct labyrinth *m = filled(threads);
	struct run r[2] = { { .m = m, .vcpu = 0, .park = park, .claims = claims },
			    { .m = m, .vcpu = 1, .park = park, .claims = claims } };
	pthread_t t[2], w, h;

	atomic_store(&hog_stop, false);
	atomic_store(&worker_stop, false);
	if (with_hog)
		cr_assert_eq(pthread_create(&h, NULL, hog, NULL), 0);
	if (real_worker)
		cr_assert_eq(lab_scrubber_start(m), 0);
	else
		cr_assert_eq(pthread_create(&w, NULL, tight_worker, m), 0);
	for (uint32_t i = 0; i < threads; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, churn, &r[i]), 0);
	for (uint32_t i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	if (real_worker) {
		lab_scrubber_stop(m);
	} else {
		atomic_store(&worker_stop, true);
		pthread_join(w, NULL);
	}
	atomic_store(&hog_stop, true);
	if (with_hog)
		pthread_join(h, NULL);
	for (uint32_t i = 0; i < threads; i++) {
		cr_expect_eq(r[i].refused, 0,
			     "thread %u: %ld of %ld GFP_ATOMIC claims refused "
			     "(the first with %u rooms free or dirty)", i,
			     r[i].refused, claims, r[i].free_at_refusal);
		cr_expect_eq(r[i].dirty, 0, "thread %u: %ld dirty rooms claimed",
			     i, r[i].dirty);
		cr_expect_eq(r[i].bad_releases, 0, "thread %u: %ld releases failed",
			     i, r[i].bad_releases);
	}
	heap_lab_free(m);
}

Test(noexit, one_thread_real_worker_and_a_hog, .timeout = 120)
{
	churn_with(1, true, true, false, 2000000);
}

Test(noexit, one_thread_tight_worker_and_a_hog, .timeout = 120)
{
	churn_with(1, false, true, false, 2000000);
}

Test(noexit, two_threads_tight_worker_and_a_hog, .timeout = 120)
{
	churn_with(2, false, true, false, 1000000);
}

Test(noexit, two_threads_tight_worker, .timeout = 120)
{
	churn_with(2, false, false, false, 1000000);
}

/*
 * A claimer that holds no district between claims reuses nothing of its
 * own: each claim searches for a clean room, then scrubs what it finds
 * dirty, while the worker zeroes the same districts.  This is the path
 * where the worker, clearing a district's hint before zeroing its rooms,
 * hid them all (it failed some 10 in a million on the old scrubber).
 */
Test(noexit, a_parked_claimer_beside_a_tight_worker_and_a_hog, .timeout = 120)
{
	churn_with(1, false, true, true, 1000000);
}

Test(noexit, two_parked_claimers_beside_a_tight_worker, .timeout = 120)
{
	churn_with(2, false, false, true, 500000);
}
