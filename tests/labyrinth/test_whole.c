// SPDX-License-Identifier: MIT
/*
 * test_whole.c - districts claimed whole (shared/whole.c): never two
 * guests', never with a room someone else holds, refused by the limits
 * without a trace, reaped with a killed holder, zero before any reuse.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

static uint8_t *room_at(struct labyrinth *m, uint32_t room)
{
	return m->pool + (size_t)room * LAB_ROOM_SIZE;
}

static bool district_zero(struct labyrinth *m, uint32_t d)
{
	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i++)
		if (!tlab_room_zero(m, d * LAB_DISTRICT_ROOMS + i))
			return false;
	return true;
}

/* Every room of @d owned by @owner's guest, the district marked so. */
static void expect_whole(struct labyrinth *m, uint32_t d, uint32_t guest)
{
	cr_assert_eq(lab_district_whole_of(m, d), guest);
	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i++)
		cr_assert_eq(lab_owner_guest(lab_room_owner(m, d * LAB_DISTRICT_ROOMS + i)),
			     guest, "room %u of district %u", i, d);
}

Test(whole, claims_every_room_and_releases_them_together)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 0, true);
	struct lab_cursor cur;
	uint32_t d[2];

	lab_cursor_init(&cur, m, 3);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 2, d, NULL), 2);
	cr_assert_neq(d[0], d[1]);
	expect_whole(m, d[0], 0);
	expect_whole(m, d[1], 0);
	cr_assert_eq(tlab_free(m), 2 * LAB_DISTRICT_ROOMS);
	cr_assert_eq(lab_release_districts(&cur, d, 2), 0);
	cr_assert_eq(lab_district_whole_of(m, d[0]), LAB_NONE);
	cr_assert_eq(lab_room_owner(m, d[0] * LAB_DISTRICT_ROOMS), 0);
	heap_lab_free(m);
}

/* A room of a district claimed whole is released with it or not at all;
 * a district is released only by its guest, once, if it was claimed
 * whole; every refusal changes nothing. */
Test(whole, a_refused_release_changes_nothing)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 0, true);
	struct labyrinth *other = heap_lab_guest(m, 1);
	struct lab_cursor cur, them;
	uint32_t d, singles, twice[2], far = 4;
	void *snap;

	lab_cursor_init(&cur, m, 0);
	lab_cursor_init(&them, other, 0);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	cr_assert_eq(lab_claim(&them, LAB_GFP_NORMAL, 0, 1, &singles), 1);
	lab_cursor_park(&them);
	twice[0] = twice[1] = d;
	snap = tlab_snapshot(m);
	uint32_t inside = d * LAB_DISTRICT_ROOMS + 17;
	cr_assert_eq(lab_release(&cur, &inside, 1), LAB_EBUSY);
	cr_assert_eq(lab_release_guest(&cur, &inside, 1), LAB_EBUSY);
	cr_assert_eq(lab_release_districts(&them, &d, 1), LAB_EPERM);
	cr_assert_eq(lab_release_districts(&cur, twice, 2), LAB_EALREADY);
	cr_assert_eq(lab_release_districts(&cur, &far, 1), LAB_ERANGE);
	uint32_t theirs = singles / LAB_DISTRICT_ROOMS;
	cr_assert_eq(lab_release_districts(&them, &theirs, 1), LAB_EINVAL,
		     "a district held in single rooms is no district claimed whole");
	cr_assert_eq(lab_release_districts(&cur, &d, 0), LAB_EINVAL);
	cr_assert(tlab_same(m, snap), "a refused release changed the labyrinth");
	free(snap);
	heap_lab_free(other);
	heap_lab_free(m);
}

Test(whole, a_district_with_one_room_claimed_is_never_claimed_whole)
{
	struct labyrinth *m = heap_lab(2 * LAB_DISTRICT_ROOMS, 1, 0, true);
	struct labyrinth *other = heap_lab_guest(m, 1);
	struct lab_cursor cur, them;
	uint32_t rooms[2], d[2];

	lab_cursor_init(&cur, m, 0);
	lab_cursor_init(&them, other, 0);
	/* One room in each district, then nothing whole is left. */
	cr_assert_eq(lab_claim(&them, LAB_GFP_NORMAL, 0, 1, &rooms[0]), 1);
	lab_cursor_park(&them);
	cr_assert_eq(lab_claim(&them, LAB_GFP_NORMAL, 0, 1, &rooms[1]), 1);
	lab_cursor_park(&them);
	if (rooms[0] / LAB_DISTRICT_ROOMS == rooms[1] / LAB_DISTRICT_ROOMS) {
		/* Same district: a whole claim may get only the other one. */
		cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 2, d, NULL), 1);
		cr_assert_neq(d[0], rooms[0] / LAB_DISTRICT_ROOMS);
	} else {
		cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, d, NULL), 0);
	}
	cr_assert_eq(lab_owner_guest(lab_room_owner(m, rooms[0])), 1);
	cr_assert_eq(lab_owner_guest(lab_room_owner(m, rooms[1])), 1);
	heap_lab_free(other);
	heap_lab_free(m);
}

/* A district a cursor holds (it is claiming there) is not taken whole,
 * though every room of it is free. */
Test(whole, a_district_a_cursor_holds_is_not_taken)
{
	struct labyrinth *m = heap_lab(LAB_DISTRICT_ROOMS, 1, 0, true);
	struct lab_cursor cur, holder;
	uint32_t room, d;

	lab_cursor_init(&cur, m, 0);
	lab_cursor_init(&holder, m, 1);
	cr_assert_eq(lab_claim(&holder, LAB_GFP_NORMAL, 0, 1, &room), 1);
	cr_assert_eq(lab_release(&holder, &room, 1), 0);
	/* room is in holder's reuse ring, the district still held */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 0);
	lab_cursor_park(&holder);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	cr_assert(tlab_room_zero(m, room), "the dirty room was claimed unzeroed");
	heap_lab_free(m);
}

/* A cursor that holds a district for its single claims claims whole
 * districts too, and still gives its own district back when it parks. */
Test(whole, a_cursor_keeps_and_gives_back_the_district_it_holds)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 0, true);
	struct lab_cursor cur;
	uint32_t room, d, held;

	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, &room), 1);
	held = room / LAB_DISTRICT_ROOMS;
	cr_assert_eq(lab_district_holder(m, held), 0);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, &room), 1);
	cr_assert_eq(room / LAB_DISTRICT_ROOMS, held,
		     "the next single claim is in the district it held");
	lab_cursor_park(&cur);
	cr_assert_eq(lab_district_holder(m, held), LAB_NONE,
		     "the district it held stayed held after its park");
	cr_assert_eq(lab_release_districts(&cur, &d, 1), 0);
	heap_lab_free(m);
}

/* The reserve and the floor: a whole district or nothing, and a refusal
 * leaves the hall and the pool as they were. */
Test(whole, limits_refuse_without_changing_anything)
{
	struct labyrinth *m = heap_lab(2 * LAB_DISTRICT_ROOMS, 1, 600, true);
	struct lab_cursor cur;
	struct lab_floor floor = {.others = 600, .own = 0};
	uint32_t d[2];
	void *snap;

	lab_cursor_init(&cur, m, 0);
	snap = tlab_snapshot(m);
	/* 1024 - 600 free above the reserve: not a district's worth. */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, d, NULL), 0);
	cr_assert(tlab_same(m, snap), "a refused GFP_NORMAL claim changed the labyrinth");
	/* Others' guarantees are kept from GFP_ATOMIC too. */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_ATOMIC, 0, 1, d, &floor), 0);
	cr_assert(tlab_same(m, snap), "a claim refused by a floor changed the labyrinth");
	/* Two wanted, one allowed: nothing with all or nothing. */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_ATOMIC | LAB_ALL_OR_NOTHING, 0, 2, d,
					 &(struct lab_floor){.others = 1}), 0);
	cr_assert(tlab_same(m, snap), "an all-or-nothing refusal changed the labyrinth");
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, LAB_DISTRICTS_MAX + 1, d,
					 NULL), 0);
	cr_assert(tlab_same(m, snap));
	free(snap);
	/* The reserve is GFP_ATOMIC's. */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_ATOMIC, 0, 1, d, NULL), 1);
	expect_whole(m, d[0], 0);
	heap_lab_free(m);
}

Test(whole, every_room_is_zero_before_it_is_claimed_again)
{
	struct labyrinth *m = heap_lab(LAB_DISTRICT_ROOMS, 1, 0, true);
	struct lab_cursor cur, single;
	uint32_t d, rooms[LAB_DISTRICT_ROOMS];

	lab_cursor_init(&cur, m, 0);
	lab_cursor_init(&single, m, 1);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	memset(room_at(m, 0), 0xa5, (size_t)LAB_DISTRICT_ROOMS * LAB_ROOM_SIZE);
	cr_assert_eq(lab_release_districts(&cur, &d, 1), 0);
	/* No scrubber ran: the next whole claim zeroes the dirty rooms. */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	cr_assert(district_zero(m, d), "a whole claim got a dirty room");
	memset(room_at(m, 0), 0x5a, (size_t)LAB_DISTRICT_ROOMS * LAB_ROOM_SIZE);
	cr_assert_eq(lab_release_districts(&cur, &d, 1), 0);
	/* And single claims of the dirty rooms zero them too. */
	cr_assert_eq(lab_claim(&single, LAB_GFP_NORMAL, 0, LAB_DISTRICT_ROOMS, rooms),
		     LAB_DISTRICT_ROOMS);
	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i++)
		cr_assert(tlab_room_zero(m, rooms[i]), "room %u claimed dirty", rooms[i]);
	heap_lab_free(m);
}

/* Zeroed at release instead (no scrubber): free and zero at once. */
Test(whole, scrub_at_release_zeroes_the_district)
{
	struct labyrinth *m = heap_lab(LAB_DISTRICT_ROOMS, 1, 0, true);
	struct lab_cursor cur;
	uint32_t d;

	lab_scrub_at_release(m, true);
	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	memset(room_at(m, 0), 0x11, (size_t)LAB_DISTRICT_ROOMS * LAB_ROOM_SIZE);
	cr_assert_eq(lab_release_districts(&cur, &d, 1), 0);
	cr_assert(district_zero(m, d));
	cr_assert_eq(tlab_free(m), LAB_DISTRICT_ROOMS);
	heap_lab_free(m);
}

/* Two guests claim and release the same two districts as fast as they
 * can, until each won RACE_WINS times; a district is never both's, and
 * never half one's. */
#define RACE_WINS	200000
#define RACE_TRIES	20000000
struct racer {
	struct labyrinth *lab;
	_Atomic uint32_t *mark;		/* per district: guest + 1 holding it */
	_Atomic bool *failed;
	uint32_t guest;
	_Atomic unsigned long got;
	struct racer *rival;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct lab_cursor cur;
	uint32_t d[2];

	lab_cursor_init(&cur, r->lab, 0);
	for (int i = 0; i < RACE_TRIES && !atomic_load(r->failed) &&
	     (atomic_load(&r->got) < RACE_WINS || atomic_load(&r->rival->got) < RACE_WINS); i++) {
		unsigned int n = lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 2, d, NULL);

		for (unsigned int k = 0; k < n; k++) {
			uint32_t none = 0;

			if (!atomic_compare_exchange_strong(&r->mark[d[k]], &none, r->guest + 1) ||
			    lab_district_whole_of(r->lab, d[k]) != r->guest ||
			    lab_owner_guest(lab_room_owner(r->lab, d[k] * LAB_DISTRICT_ROOMS +
							   (uint32_t)i % LAB_DISTRICT_ROOMS)) != r->guest)
				atomic_store(r->failed, true);
		}
		for (unsigned int k = 0; k < n; k++)
			atomic_store(&r->mark[d[k]], 0);
		if (n && lab_release_districts(&cur, d, n))
			atomic_store(r->failed, true);
		atomic_fetch_add(&r->got, n);
	}
	lab_cursor_park(&cur);
	return NULL;
}

Test(whole, two_threads_racing_never_both_hold_a_district)
{
	/* No pool: the race is in the holder and owner words, and zeroing 2 MiB
	 * a claim made it 28 s (past its 60 under load). */
	struct labyrinth *m = heap_lab(2 * LAB_DISTRICT_ROOMS, 1, 0, false);
	struct labyrinth *other = heap_lab_guest(m, 1);
	_Atomic uint32_t mark[2] = {0, 0};
	_Atomic bool failed = false;
	struct racer r[2] = {
		{.lab = m, .mark = mark, .failed = &failed, .guest = 0},
		{.lab = other, .mark = mark, .failed = &failed, .guest = 1},
	};
	pthread_t t[2];
	struct lab_census c;

	r[0].rival = &r[1];
	r[1].rival = &r[0];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, race, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert(!atomic_load(&failed), "a district was two guests' or half one's");
	cr_assert(r[0].got > 0 && r[1].got > 0, "one racer never won (%lu, %lu)", r[0].got,
		  r[1].got);
	lab_census(m, &c);
	cr_assert_eq(c.claimed, 0);
	cr_assert_eq(c.free, 2 * LAB_DISTRICT_ROOMS);
	heap_lab_free(other);
	heap_lab_free(m);
}

/* A holder killed while it claims and releases districts: the reap gives
 * back its districts and rooms, zeroed; nothing is left named for it. */
Test(whole, a_killed_holders_districts_are_reaped)
{
	struct labyrinth *m = shared_lab(4 * LAB_DISTRICT_ROOMS, 1);
	struct labyrinth *victim = heap_lab_guest(m, 1);
	int ready[2], status;
	pid_t pid;

	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		struct lab_cursor cur;
		uint32_t d[3], k = 0;

		lab_cursor_init(&cur, victim, 0);
		cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 2, d, NULL), 2);
		memset(room_at(m, d[0] * LAB_DISTRICT_ROOMS), 0xee,
		       (size_t)LAB_DISTRICT_ROOMS * LAB_ROOM_SIZE);
		(void)!write(ready[1], "x", 1);
		for (;;) {	/* churn the third until killed, anywhere */
			if (lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d[2], NULL)) {
				memset(room_at(m, d[2] * LAB_DISTRICT_ROOMS + k++ % 512), 0xdd,
				       LAB_ROOM_SIZE);
				lab_release_districts(&cur, &d[2], 1);
			}
		}
	}
	char c;
	cr_assert_eq(read(ready[0], &c, 1), 1);
	usleep(20000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status));
	lab_reap_guest(m, 1);
	for (uint32_t d = 0; d < 4; d++) {
		cr_assert_eq(lab_district_whole_of(m, d), LAB_NONE, "district %u kept", d);
		cr_assert_eq(lab_district_holder(m, d), LAB_NONE);
	}
	struct lab_census cs;
	lab_census(m, &cs);
	cr_assert_eq(cs.guest_rooms[1], 0);
	cr_assert_eq(cs.claimed, 0, "a room is still claimed");
	/* Whatever was dirty is zeroed by the claim that takes it. */
	struct lab_cursor cur;
	uint32_t d[4];
	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 4, d, NULL), 4);
	for (int i = 0; i < 4; i++)
		cr_assert(district_zero(m, d[i]), "district %u not zero after the reap", d[i]);
	heap_lab_free(victim);
	heap_lab_free(m);
}
