// SPDX-License-Identifier: MIT
/*
 * test_release.c - releases: scrub, and every error changes nothing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static char panic_msg[128];

static void record_panic(const char *msg)
{
	strncpy(panic_msg, msg, sizeof(panic_msg) - 1);
}

struct fixture {
	struct labyrinth *m, *other_guest;
	struct lab_cursor me, my_other_vcpu, them;
	uint32_t mine[8], vcpu1, theirs;
};

static void fixture_init(struct fixture *f)
{
	f->m = heap_lab(2000, 1, 0, true);	/* 4 districts, walls at 2000.. */
	f->other_guest = heap_lab_guest(f->m, 1);
	lab_cursor_init(&f->me, f->m, 0);
	lab_cursor_init(&f->my_other_vcpu, f->m, 1);
	lab_cursor_init(&f->them, f->other_guest, 0);
	cr_assert_eq(lab_claim(&f->me, LAB_GFP_NORMAL, 0, 8, f->mine), 8);
	cr_assert_eq(lab_claim(&f->my_other_vcpu, LAB_GFP_NORMAL, 0, 1,
			       &f->vcpu1), 1);
	cr_assert_eq(lab_claim(&f->them, LAB_GFP_NORMAL, 0, 1, &f->theirs), 1);
}

static void fixture_fini(struct fixture *f)
{
	heap_lab_free(f->other_guest);
	heap_lab_free(f->m);
}

/* Release @rooms as @cur; expect @err and an untouched labyrinth. */
static void expect_refused(struct fixture *f, const uint32_t *rooms,
			   unsigned int n, int err)
{
	void *snap = tlab_snapshot(f->m);

	cr_assert_eq(lab_release(&f->me, rooms, n), err);
	cr_assert(tlab_same(f->m, snap), "a refused release changed state");
	free(snap);
}

Test(release, leaves_the_room_dirty_for_the_scrubber)
{
	struct fixture f;
	struct lab_cursor worker;
	char *room;

	fixture_init(&f);
	lab_cursor_init(&worker, f.m, 99);
	room = (char *)f.m->pool + (size_t)f.mine[3] * LAB_ROOM_SIZE;
	memset(room, 0x5a, LAB_ROOM_SIZE);
	cr_assert_eq(lab_release(&f.me, &f.mine[3], 1), 0);
	cr_assert_eq(lab_room_owner(f.m, f.mine[3]), 0);
	cr_assert_eq(room[0], 0x5a, "the guest's exit paid for the zeroing");
	cr_assert_eq(lab_scrub(&worker, 64), 0, "a held district is its holder's to scrub");
	lab_cursor_park(&f.me);
	cr_assert_eq(lab_scrub(&worker, 64), 1);
	for (unsigned int i = 0; i < LAB_ROOM_SIZE; i++)
		cr_assert_eq(room[i], 0, "byte %u of a scrubbed room", i);
	cr_assert_eq(lab_release(&f.me, &f.mine[3], 1), LAB_EALREADY);
	fixture_fini(&f);
}

Test(release, free_room_is_refused)
{
	struct fixture f;
	uint32_t free_room = 1999;

	fixture_init(&f);
	expect_refused(&f, &free_room, 1, LAB_EALREADY);
	fixture_fini(&f);
}

Test(release, other_owners_rooms_are_refused)
{
	struct fixture f;

	fixture_init(&f);
	expect_refused(&f, &f.vcpu1, 1, LAB_EPERM);	/* same guest, vcpu 1 */
	expect_refused(&f, &f.theirs, 1, LAB_EPERM);	/* another guest */
	fixture_fini(&f);
}

Test(release, out_of_range_is_refused)
{
	struct fixture f;
	uint32_t bad[] = { 2000, 2047, 1u << 30, UINT32_MAX };

	fixture_init(&f);
	for (int i = 0; i < 4; i++)	/* 2000..2047 are walls */
		expect_refused(&f, &bad[i], 1, LAB_ERANGE);
	fixture_fini(&f);
}

Test(release, batch_is_all_or_nothing)
{
	struct fixture f;
	uint32_t batch[9];

	fixture_init(&f);
	memcpy(batch, f.mine, sizeof(f.mine));
	batch[8] = f.theirs;
	expect_refused(&f, batch, 9, LAB_EPERM);
	batch[8] = 5000;
	expect_refused(&f, batch, 9, LAB_ERANGE);
	batch[8] = f.mine[2];	/* listed twice */
	expect_refused(&f, batch, 9, LAB_EALREADY);
	expect_refused(&f, batch, LAB_HC_BATCH_MAX + 1, LAB_EINVAL);
	cr_assert_eq(lab_release(&f.me, batch, 8), 0);
	cr_assert_eq(tlab_free(f.m), 2000 - 2);
	fixture_fini(&f);
}

/*
 * The duplicate check's table grows with the batch: a room listed twice
 * is found at every size, at both ends of the batch, and rooms whose
 * hashes collide (r and r + 2^k share a slot) are not taken for twins.
 */
Test(release, a_room_listed_twice_is_found_at_every_batch_size)
{
	static const unsigned int sizes[] = { 2, 3, 8, 9, 63, 64, 65, 257,
					      LAB_HC_BATCH_MAX };
	struct fixture f;
	uint32_t *rooms = malloc(LAB_HC_BATCH_MAX * sizeof(*rooms));
	uint32_t *batch = malloc(LAB_HC_BATCH_MAX * sizeof(*batch));

	fixture_init(&f);
	cr_assert_eq(lab_claim(&f.me, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX, rooms),
		     LAB_HC_BATCH_MAX);
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned int n = sizes[i];

		memcpy(batch, rooms, n * sizeof(*batch));
		batch[n - 1] = batch[0];
		expect_refused(&f, batch, n, LAB_EALREADY);
		if (n < 3)
			continue;
		batch[n - 1] = rooms[n - 1];
		batch[n / 2] = batch[n - 1];	/* the middle and the end */
		expect_refused(&f, batch, n, LAB_EALREADY);
	}
	/* 512 rooms in a row: every slot of the largest table is probed */
	cr_assert_eq(lab_release(&f.me, rooms, LAB_HC_BATCH_MAX), 0);
	cr_assert_eq(tlab_free(f.m), 2000 - 10);
	free(rooms);
	free(batch);
	fixture_fini(&f);
}

Test(release, page_address_errors)
{
	struct fixture f;
	char *pool;
	void *snap;

	fixture_init(&f);
	pool = (char *)f.m->pool;
	snap = tlab_snapshot(f.m);
	cr_assert_eq(lab_release_page(&f.me, pool + (size_t)f.mine[0] *
				      LAB_ROOM_SIZE + 8), LAB_EINVAL);
	cr_assert_eq(lab_release_page(&f.me, pool - LAB_ROOM_SIZE), LAB_ERANGE);
	cr_assert_eq(lab_release_page(&f.me, pool + 2000 * LAB_ROOM_SIZE),
		     LAB_ERANGE);
	cr_assert_eq(lab_release_page(&f.me, pool + 1999 * LAB_ROOM_SIZE),
		     LAB_EALREADY);
	cr_assert_eq(lab_release_page(&f.me, pool + (size_t)f.theirs *
				      LAB_ROOM_SIZE), LAB_EPERM);
	cr_assert(tlab_same(f.m, snap));
	cr_assert_eq(lab_release_page(&f.me, pool + (size_t)f.mine[0] *
				      LAB_ROOM_SIZE), 0);
	free(snap);
	fixture_fini(&f);
}

Test(release, seed_dealloc_of_a_bad_page_panics)
{
	struct fixture f;
	void *snap;

	fixture_init(&f);
	f.m->panic = record_panic;
	snap = tlab_snapshot(f.m);
	lab_free_page_exclusive(f.m, f.m->pool + 1999 * LAB_ROOM_SIZE);
	cr_assert_str_eq(panic_msg, LAB_PANIC_FREE);
	cr_assert(tlab_same(f.m, snap));
	free(snap);
	fixture_fini(&f);
}

Test(release, by_guest_accepts_any_vcpu_of_the_guest)
{
	struct fixture f;

	fixture_init(&f);
	expect_refused(&f, &f.vcpu1, 1, LAB_EPERM);
	cr_assert_eq(lab_release_guest(&f.me, &f.theirs, 1), LAB_EPERM);
	cr_assert_eq(lab_release_guest(&f.me, &f.vcpu1, 1), 0);
	cr_assert_eq(lab_release_guest(&f.me, &f.vcpu1, 1), LAB_EALREADY);
	cr_assert_eq(lab_room_owner(f.m, f.vcpu1), 0);
	fixture_fini(&f);
}
