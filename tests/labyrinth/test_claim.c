// SPDX-License-Identifier: MIT
/*
 * test_claim.c - claims: distinct rooms, owners recorded, batches with
 * partial success, corridors and their fallback, the seed entry point.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "support.h"

static void claim_all(struct lab_cursor *cur, uint32_t rooms, uint32_t *out)
{
	uint32_t got = 0;
	unsigned int n = 1;

	while (got < rooms) {
		unsigned int k = lab_claim(cur, LAB_GFP_ATOMIC, 0, n, out + got);

		cr_assert(k > 0, "claim stopped at %u of %u rooms", got, rooms);
		got += k;
		n = (n + 37) % LAB_HC_BATCH_MAX + 1;	/* batches of many sizes */
	}
}

Test(claim, rooms_are_distinct_and_owned)
{
	struct labyrinth *m = heap_lab(4096, 2, 0, false);
	uint32_t *rooms = calloc(4096 + LAB_HC_BATCH_MAX, sizeof(*rooms));
	char *seen = calloc(4096, 1);
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 5);
	claim_all(&cur, 4096, rooms);
	for (uint32_t i = 0; i < 4096; i++) {
		cr_assert_lt(rooms[i], 4096);
		cr_assert(!seen[rooms[i]], "room %u granted twice", rooms[i]);
		seen[rooms[i]] = 1;
		cr_assert_eq(lab_room_owner(m, rooms[i]), lab_owner(0, 5));
	}
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, rooms), 0);
	cr_assert_eq(tlab_free(m), 0);
	free(rooms);
	free(seen);
	heap_lab_free(m);
}

Test(claim, owner_is_guest_and_vcpu)
{
	struct labyrinth *m = heap_lab(1024, 1, 0, false);
	struct labyrinth *g3 = heap_lab_guest(m, 3);
	struct lab_cursor a, b;
	uint32_t ra, rb;

	lab_cursor_init(&a, m, 7);
	lab_cursor_init(&b, g3, 65535);
	cr_assert_eq(lab_claim(&a, LAB_GFP_NORMAL, 0, 1, &ra), 1);
	cr_assert_eq(lab_claim(&b, LAB_GFP_NORMAL, 0, 1, &rb), 1);
	cr_assert_neq(ra, rb);
	cr_assert_eq(lab_owner_guest(lab_room_owner(m, ra)), 0);
	cr_assert_eq(lab_owner_vcpu(lab_room_owner(m, ra)), 7);
	cr_assert_eq(lab_owner_guest(lab_room_owner(m, rb)), 3);
	cr_assert_eq(lab_owner_vcpu(lab_room_owner(m, rb)), 65535);
	cr_assert_eq(lab_room_owner(m, 1024), LAB_NONE);
	heap_lab_free(g3);
	heap_lab_free(m);
}

Test(claim, batch_partial_success)
{
	/* 1000 rooms: the second district ends in walls at room 1000. */
	struct labyrinth *m = heap_lab(1000, 1, 0, false);
	uint32_t rooms[LAB_HC_BATCH_MAX];
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 512, rooms), 512);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 512, rooms), 488);
	for (unsigned int i = 0; i < 488; i++)
		cr_assert_lt(rooms[i], 1000, "a wall was granted");
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 512, rooms), 0);
	heap_lab_free(m);
}

Test(claim, batch_size_limits)
{
	struct labyrinth *m = heap_lab(2048, 1, 0, false);
	uint32_t rooms[LAB_HC_BATCH_MAX + 1];
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, 0, rooms), 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX + 1,
			       rooms), 0);
	cr_assert_eq(tlab_free(m), 2048);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX, rooms),
		     LAB_HC_BATCH_MAX);
	heap_lab_free(m);
}

Test(claim, corridor_preference_and_fallback)
{
	struct labyrinth *m = heap_lab(4096, 4, 0, false);	/* 1024 each */
	uint32_t rooms[LAB_HC_BATCH_MAX];
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 2, 512, rooms), 512);
		for (int j = 0; j < 512; j++)
			cr_assert(rooms[j] >= 2048 && rooms[j] < 3072,
				  "room %u not in corridor 2", rooms[j]);
	}
	/* Corridor 2 is full: no fallback allowed, then the next corridor. */
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL | LAB_THISCORRIDOR, 2, 1,
			       rooms), 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 2, 1, rooms), 1);
	cr_assert(rooms[0] >= 3072, "fell back to room %u, not corridor 3",
		  rooms[0]);
	/* A preference for corridor 0 moves the cursor there. */
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, rooms), 1);
	cr_assert_lt(rooms[0], 1024);
	heap_lab_free(m);
}

Test(claim, cursors_start_in_different_districts)
{
	struct labyrinth *m = heap_lab(64 * 512, 1, 0, false);
	struct lab_cursor a, b;
	uint32_t ra, rb;

	lab_cursor_init(&a, m, 0);
	lab_cursor_init(&b, m, 1);
	cr_assert_eq(lab_claim(&a, LAB_GFP_NORMAL, 0, 1, &ra), 1);
	cr_assert_eq(lab_claim(&b, LAB_GFP_NORMAL, 0, 1, &rb), 1);
	cr_assert_neq(ra / LAB_DISTRICT_ROOMS, rb / LAB_DISTRICT_ROOMS,
		      "two cursors share district %u", ra / LAB_DISTRICT_ROOMS);
	heap_lab_free(m);
}

Test(claim, no_lease_no_room)
{
	struct labyrinth *m = heap_lab(1024, 1, 0, false);
	struct labyrinth *none = heap_lab_guest(m, LAB_NONE);
	struct lab_cursor cur;
	uint32_t r;

	lab_cursor_init(&cur, none, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, &r), 0);
	cr_assert_eq(tlab_free(m), 1024);
	heap_lab_free(none);
	heap_lab_free(m);
}

Test(claim, seed_allocpage_gives_distinct_aligned_pages)
{
	struct labyrinth *m = heap_lab(600, 1, 0, true);
	char *seen = calloc(600, 1);

	for (int i = 0; i < 600; i++) {
		char *p = lab_alloc_page_exclusive(m);
		size_t off = (size_t)(p - (char *)m->pool);

		cr_assert_not_null(p);
		cr_assert_eq(off % LAB_ROOM_SIZE, 0);
		cr_assert_lt(off / LAB_ROOM_SIZE, 600);
		cr_assert(!seen[off / LAB_ROOM_SIZE]);
		seen[off / LAB_ROOM_SIZE] = 1;
		cr_assert_eq(lab_room_owner(m, off / LAB_ROOM_SIZE),
			     lab_owner(0, 0));
	}
	lab_free_page_exclusive(m, m->pool + 17 * LAB_ROOM_SIZE);
	cr_assert_eq(tlab_free(m), 1);
	cr_assert_eq(lab_alloc_page_exclusive(m),
		     m->pool + 17 * LAB_ROOM_SIZE);
	free(seen);
	heap_lab_free(m);
}
