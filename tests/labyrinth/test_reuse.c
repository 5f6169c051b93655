// SPDX-License-Identifier: MIT
/*
 * test_reuse.c - the rooms a cursor released last (shared/reuse.c): its
 * next claims take them first, zeroed; nobody else can take them while
 * it keeps them; it keeps at most LAB_REUSE and gives up the oldest as
 * dirty rooms, and all of them when it parks or someone starves; a
 * killed keeper's rooms go back through its reaper, zeroed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "handle.h"
#include "support.h"

static void stamp(struct labyrinth *m, uint32_t room)
{
	*(uint64_t *)(m->pool + (size_t)room * LAB_ROOM_SIZE) = room + 1;
}

static uint32_t dirty(struct labyrinth *m)
{
	struct lab_census c;

	lab_census(m, &c);
	return c.dirty;
}

Test(reuse, the_newest_comes_back_first_and_zeroed)
{
	struct labyrinth *m = shared_lab(2048, 1);
	struct lab_cursor me;
	uint32_t r[3], again[2];

	lab_cursor_init(&me, m, 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 3, r), 3);
	for (int i = 0; i < 3; i++) {
		stamp(m, r[i]);
		cr_assert_eq(lab_release(&me, &r[i], 1), 0);
	}
	cr_assert_eq(dirty(m), 3, "kept rooms are released: counted dirty");
	cr_assert_eq(lab_room_owner(m, r[2]), 0);
	cr_assert_eq(lab_release(&me, &r[2], 1), LAB_EALREADY);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 2, again), 2);
	cr_assert_eq(again[0], r[2]);
	cr_assert_eq(again[1], r[1]);
	for (int i = 0; i < 2; i++) {
		cr_assert(tlab_room_zero(m, again[i]));
		cr_assert_eq(lab_room_owner(m, again[i]), lab_cursor_owner(&me));
	}
	cr_assert_eq(dirty(m), 1);
	heap_lab_free(m);
}

Test(reuse, nobody_else_takes_what_a_cursor_keeps)
{
	struct labyrinth *m = shared_lab(512, 1);
	struct lab_cursor me, other, worker;
	uint32_t *all = calloc(512, sizeof(*all)), r;

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&other, m, 1);
	lab_cursor_init(&worker, m, 2);
	cr_assert_eq(lab_claim(&me, LAB_GFP_ATOMIC, 0, 512, all), 512);
	stamp(m, all[7]);
	cr_assert_eq(lab_release(&me, &all[7], 1), 0);
	cr_assert_eq(lab_scrub(&worker, 64), 0, "the worker took a kept room");
	/* The other's claim finds nothing it may take: it starves, and the
	 * keeper gives its room up at its next claim. */
	cr_assert_eq(lab_claim(&other, LAB_GFP_ATOMIC, 0, 1, &r), 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_ATOMIC, 0, 1, &r), 1,
		     "a dirty room is claimable by the one who gave it up");
	cr_assert(tlab_room_zero(m, r));
	cr_assert_eq(lab_release(&me, &r, 1), 0);
	lab_cursor_park(&me);
	cr_assert_eq(lab_claim(&other, LAB_GFP_ATOMIC, 0, 1, &r), 1,
		     "parked, the keeper kept nothing");
	cr_assert_eq(r, all[7]);
	cr_assert(tlab_room_zero(m, r));
	free(all);
	heap_lab_free(m);
}

Test(reuse, past_its_bound_the_oldest_turn_dirty_for_every_scrubber)
{
	struct labyrinth *m = shared_lab(2048, 1);
	struct lab_cursor me, worker;
	uint32_t r[LAB_REUSE + 10], again[LAB_REUSE];

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&worker, m, 9);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, LAB_REUSE + 10, r), LAB_REUSE + 10);
	for (unsigned int i = 0; i < LAB_REUSE + 10; i++)
		stamp(m, r[i]);
	cr_assert_eq(lab_release(&me, r, 5), 0);
	cr_assert_eq(lab_release(&me, r + 5, LAB_REUSE + 5), 0);
	cr_assert_eq(dirty(m), LAB_REUSE + 10);
	for (unsigned int i = 0; i < 10; i++)
		cr_assert_eq(atomic_load(hall_owner(m->hall, r[i])), LAB_DIRTY,
			     "room %u, among the oldest, is not dirty", i);
	lab_cursor_park(&worker);
	lab_cursor_park(&me);	/* the district too: the worker's now */
	cr_assert_eq(lab_scrub(&worker, 512), LAB_REUSE + 10);
	for (unsigned int i = 0; i < LAB_REUSE + 10; i++)
		cr_assert(tlab_room_zero(m, r[i]));
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, LAB_REUSE, again), LAB_REUSE);
	cr_assert_eq(dirty(m), 0);
	heap_lab_free(m);
}

Test(reuse, a_room_of_another_corridor_waits_for_a_claim_there)
{
	struct labyrinth *m = shared_lab(4 * 512, 2);
	struct lab_cursor me;
	uint32_t a, b, got;

	lab_cursor_init(&me, m, 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL | LAB_THISCORRIDOR, 0, 1, &a), 1);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL | LAB_THISCORRIDOR, 1, 1, &b), 1);
	cr_assert_lt(a, 2 * 512);
	cr_assert_geq(b, 2 * 512);
	cr_assert_eq(lab_release(&me, &a, 1), 0);
	cr_assert_eq(lab_release(&me, &b, 1), 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL | LAB_THISCORRIDOR, 0, 1, &got), 1);
	cr_assert_geq(got, 0);
	cr_assert_lt(got, 2 * 512, "corridor 1's room came to a claim in corridor 0");
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL | LAB_THISCORRIDOR, 1, 1, &got), 1);
	cr_assert_eq(got, b);
	heap_lab_free(m);
}

Test(reuse, a_killed_keepers_rooms_are_reaped_zeroed)
{
	struct labyrinth *m = shared_lab(1024, 1);
	struct labyrinth *dead = heap_lab_guest(m, 3);
	struct lab_cursor victim;
	uint32_t r[4];

	lab_cursor_init(&victim, dead, 0);
	cr_assert_eq(lab_claim(&victim, LAB_GFP_NORMAL, 0, 4, r), 4);
	for (int i = 0; i < 4; i++)
		stamp(m, r[i]);
	cr_assert_eq(lab_release(&victim, r, 2), 0);	/* then killed */
	cr_assert_eq(lab_reap_guest(m, 3), 4, "kept rooms are the guest's to reap");
	for (int i = 0; i < 4; i++)
		cr_assert(tlab_room_zero(m, r[i]));
	cr_assert_eq(dirty(m), 0);
	cr_assert_eq(tlab_free(m), 1024);
	heap_lab_free(dead);
	heap_lab_free(m);
}

/* A claim of all or nothing that cannot have all takes nothing, the
 * kept rooms included, and leaves them kept. */
Test(reuse, all_or_nothing_leaves_kept_rooms_kept)
{
	struct labyrinth *m = shared_lab(512, 1);
	struct lab_cursor me;
	uint32_t *all = calloc(512 + LAB_HC_BATCH_MAX, sizeof(*all)), r[4];

	lab_cursor_init(&me, m, 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_ATOMIC, 0, 512, all), 512);
	stamp(m, all[0]);
	stamp(m, all[1]);
	cr_assert_eq(lab_release(&me, all, 2), 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_ATOMIC | LAB_ALL_OR_NOTHING, 0, 4, r), 0);
	cr_assert_eq(dirty(m), 2);
	cr_assert(!tlab_room_zero(m, all[0]), "zeroed for a claim that took nothing");
	cr_assert_eq(lab_claim(&me, LAB_GFP_ATOMIC | LAB_ALL_OR_NOTHING, 0, 2, r), 2);
	cr_assert(tlab_room_zero(m, r[0]) && tlab_room_zero(m, r[1]));
	cr_assert_eq(dirty(m), 0);
	free(all);
	heap_lab_free(m);
}
