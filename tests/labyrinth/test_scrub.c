// SPDX-License-Identifier: MIT
/*
 * test_scrub.c - dirty rooms: a release leaves them dirty (owned by
 * nobody, claimable by nobody), a scrubber zeroes them, a claimer zeroes
 * them itself when no clean room is left, and a claim never returns one:
 * with no worker, and under a storm of SIGKILLs hitting claimers,
 * releasers and the worker at any instruction.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handle.h"
#include "labyrinth_host.h"
#include "support.h"
#include "test_clock.h"

static void stamp(struct labyrinth *m, uint32_t room, uint64_t v)
{
	uint64_t *p = (uint64_t *)(m->pool + (size_t)room * LAB_ROOM_SIZE);

	p[0] = p[LAB_ROOM_SIZE / 16] = p[LAB_ROOM_SIZE / 8 - 1] = v;
}

static struct lab_census census(struct labyrinth *m)
{
	struct lab_census c;

	lab_census(m, &c);
	return c;
}

Test(scrub, released_rooms_stay_dirty_until_a_scrubber_zeroes_them)
{
	struct labyrinth *m = shared_lab(2048, 1);
	struct lab_cursor me, other, worker;
	uint32_t mine[8], theirs[64];

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&other, m, 5);
	lab_cursor_init(&worker, m, 9);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 8, mine), 8);
	for (int i = 0; i < 8; i++)
		stamp(m, mine[i], 0x5a5a);
	cr_assert_eq(lab_release(&me, mine, 8), 0);
	cr_assert_eq(census(m).dirty, 8);
	cr_assert_eq(census(m).free, 2048, "dirty rooms count as free");
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(lab_room_owner(m, mine[i]), 0);
		cr_assert(!tlab_room_zero(m, mine[i]), "zeroed in the release");
	}
	/* Clean rooms are left: another cursor's claims take those, never
	 * the dirty ones. */
	for (int k = 0; k < 3; k++) {
		cr_assert_eq(lab_claim(&other, LAB_GFP_NORMAL, 0, 64, theirs), 64);
		for (int i = 0; i < 64; i++)
			for (int j = 0; j < 8; j++)
				cr_assert_neq(theirs[i], mine[j], "a dirty room was claimed");
	}
	cr_assert_eq(lab_scrub(&worker, 64), 0, "the holder's district is its own");
	lab_cursor_park(&me);
	cr_assert_eq(lab_scrub(&worker, 64), 8);
	cr_assert_eq(lab_scrub(&worker, 64), 0);
	cr_assert_eq(census(m).dirty, 0);
	for (int i = 0; i < 8; i++)
		cr_assert(tlab_room_zero(m, mine[i]));
	heap_lab_free(m);
}

/* The holder's next claim takes the rooms it released last, zeroed by the
 * claim (still in its caches), before any clean room: the release paid
 * nothing, and nothing is left for the worker. */
Test(scrub, a_holder_reuses_its_dirty_rooms_zeroed)
{
	struct labyrinth *m = shared_lab(2048, 1);
	struct lab_cursor me, worker;
	uint32_t mine[8], again[8];

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&worker, m, 9);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 8, mine), 8);
	for (int i = 0; i < 8; i++)
		stamp(m, mine[i], 0x5a5a);
	cr_assert_eq(lab_release(&me, mine, 8), 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 8, again), 8);
	for (int i = 0; i < 8; i++) {
		bool found = false;

		for (int j = 0; j < 8; j++)
			found |= again[i] == mine[j];
		cr_assert(found, "room %u is not one of those released", again[i]);
		cr_assert(tlab_room_zero(m, again[i]), "room %u handed out dirty", again[i]);
		cr_assert_eq(lab_room_owner(m, again[i]), lab_cursor_owner(&me));
	}
	cr_assert_eq(census(m).dirty, 0);
	cr_assert_eq(lab_scrub(&worker, 64), 0);
	cr_assert_eq(census(m).free, 2040);
	heap_lab_free(m);
}

Test(scrub, a_dirty_room_cannot_be_released_again)
{
	struct labyrinth *m = shared_lab(1024, 1);
	struct lab_cursor me;
	uint32_t r;

	lab_cursor_init(&me, m, 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 1, &r), 1);
	cr_assert_eq(lab_release(&me, &r, 1), 0);
	cr_assert_eq(lab_release(&me, &r, 1), LAB_EALREADY);
	cr_assert_eq(lab_release_guest(&me, &r, 1), LAB_EALREADY);
	cr_assert_eq(census(m).dirty, 1);
	heap_lab_free(m);
}

/* No worker at all: the claimer zeroes what it takes, and gets it all. */
Test(scrub, claims_zero_dirty_rooms_when_no_clean_room_is_left)
{
	struct labyrinth *m = shared_lab(1000, 2);
	uint32_t *rooms = calloc(1000 + LAB_HC_BATCH_MAX, sizeof(*rooms));
	struct lab_cursor me;
	uint32_t got = 0;

	lab_cursor_init(&me, m, 3);
	while (got < 1000)
		got += lab_claim(&me, LAB_GFP_ATOMIC, 0, 300, rooms + got);
	for (uint32_t i = 0; i < 1000; i++)
		stamp(m, rooms[i], i + 1);
	for (uint32_t i = 0; i < 1000; i += 200)
		cr_assert_eq(lab_release(&me, rooms + i, 200), 0);
	cr_assert_eq(census(m).dirty, 1000);
	for (got = 0; got < 1000;) {
		unsigned int k = lab_claim(&me, LAB_GFP_ATOMIC, 1, 77, rooms + got);

		cr_assert_gt(k, 0, "claim failed with %u dirty rooms left",
			     census(m).dirty);
		got += k;
	}
	for (uint32_t i = 0; i < 1000; i++)
		cr_assert(tlab_room_zero(m, rooms[i]), "room %u dirty", rooms[i]);
	cr_assert_eq(census(m).dirty, 0);
	cr_assert_eq(census(m).free, 0);
	free(rooms);
	heap_lab_free(m);
}

/* A release killed between its owner store and its hint hides a dirty
 * room from the scrubbers; reaping the dead guest finds it again. */
Test(scrub, reaping_finds_a_dirty_room_a_killed_release_hid)
{
	struct labyrinth *m = shared_lab(2048, 1);
	struct labyrinth *dead = heap_lab_guest(m, 5);
	struct lab_cursor victim, worker;
	uint32_t r;

	lab_cursor_init(&victim, dead, 0);
	lab_cursor_init(&worker, m, 1);
	cr_assert_eq(lab_claim(&victim, LAB_GFP_NORMAL, 0, 1, &r), 1);
	stamp(m, r, 7);
	atomic_store(hall_owner(m->hall, r), LAB_DIRTY);	/* then killed */
	cr_assert_eq(lab_scrub(&worker, 64), 0, "no hint, nothing found");
	cr_assert_eq(lab_reap_guest(m, 5), 0, "a dirty room is nobody's");
	cr_assert_eq(lab_scrub(&worker, 64), 1);
	cr_assert(tlab_room_zero(m, r));
	heap_lab_free(dead);
	heap_lab_free(m);
}

/* A scrubber killed mid-zeroing leaves the room its guest's. */
Test(scrub, reaping_zeroes_a_room_a_killed_scrubber_held)
{
	struct labyrinth *m = shared_lab(1024, 1);
	struct labyrinth *dead = heap_lab_guest(m, 2);
	struct lab_cursor me, scrubber;
	uint32_t r;

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&scrubber, dead, 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 1, &r), 1);
	stamp(m, r, 7);
	cr_assert_eq(lab_release(&me, &r, 1), 0);
	lab_cursor_park(&me);
	atomic_store(hall_owner(m->hall, r), lab_cursor_owner(&scrubber) | LAB_SCRUBBING);
	cr_assert_eq(lab_room_owner(m, r), 0);
	cr_assert_eq(census(m).dirty, 1, "being zeroed counts as dirty");
	cr_assert_eq(lab_reap_guest(m, 2), 1);
	cr_assert(tlab_room_zero(m, r));
	cr_assert_eq(census(m).dirty, 0);
	cr_assert_eq(census(m).free, 1024);
	/* The release counted it free already: the reaper adds nothing. */
	cr_assert_eq(lab_free_watched(m), 1024, "free count %lld",
		     (long long)lab_free_watched(m));
	heap_lab_free(dead);
	heap_lab_free(m);
}

/* A scrubber killed after its take and before it cleared the room's dirty
 * bit: the room is its guest's, the bit stale.  Nobody takes it by the
 * bit (the owner word decides), and the reaper clears it with the room. */
Test(scrub, reaping_clears_the_dirty_bit_a_killed_scrubber_left)
{
	struct labyrinth *m = shared_lab(1024, 1);
	struct labyrinth *dead = heap_lab_guest(m, 2);
	struct lab_cursor me, scrubber, other;
	uint32_t r, got[8];

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&scrubber, dead, 0);
	lab_cursor_init(&other, m, 1);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 1, &r), 1);
	stamp(m, r, 7);
	cr_assert_eq(lab_release(&me, &r, 1), 0);
	lab_cursor_park(&me);
	cr_assert(atomic_load(&hall_dirty(m->hall, r / 512)[r % 512 / 64]) & (1ull << (r % 64)));
	atomic_store(hall_owner(m->hall, r), lab_cursor_owner(&scrubber) | LAB_SCRUBBING);	/* killed */
	cr_assert_eq(lab_scrub(&other, 64), 0, "a room being zeroed was taken again");
	cr_assert_eq(lab_reap_guest(m, 2), 1);
	cr_assert_eq(atomic_load(&hall_dirty(m->hall, r / 512)[r % 512 / 64]), 0,
		     "the stale dirty bit outlived the reap");
	cr_assert(tlab_room_zero(m, r));
	cr_assert_eq(census(m).free, 1024);
	/* Claimed again and released: dirty again, found by its bit. */
	cr_assert_eq(lab_claim(&other, LAB_GFP_NORMAL, 0, 8, got), 8);
	stamp(m, got[0], 9);
	cr_assert_eq(lab_release(&other, got, 8), 0);
	lab_cursor_park(&other);
	cr_assert_eq(lab_scrub(&me, 64), 8);
	cr_assert(tlab_room_zero(m, got[0]));
	heap_lab_free(dead);
	heap_lab_free(m);
}

Test(scrub, release_at_scrub_zeroes_at_once)
{
	struct labyrinth *m = shared_lab(1024, 1);
	struct lab_cursor me;
	uint32_t r;

	m->scrub_at_release = true;
	lab_cursor_init(&me, m, 0);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 1, &r), 1);
	stamp(m, r, 7);
	cr_assert_eq(lab_release(&me, &r, 1), 0);
	cr_assert(tlab_room_zero(m, r));
	cr_assert_eq(census(m).dirty, 0);
	heap_lab_free(m);
}

/* ---- the kill storm ---- */

#define STORM_ROOMS	(8 * 512)
#define STORM_KIDS	4		/* guests 1..4; guest 5 is the worker */
#define STORM_WORKER	(STORM_KIDS + 1)
#define STORM_NS	1200000000ll
#define HOLD		300

struct storm {
	_Atomic int dirty_claims;
	_Atomic int release_errors;
};

/* Claim, check each room is zero, stamp it, release at random; forever. */
static void claimer(struct labyrinth *m, struct storm *s, uint32_t guest)
{
	struct labyrinth *me = heap_lab_guest(m, guest);
	uint32_t held[HOLD + 64], n = 0;
	unsigned int seed = (unsigned int)getpid();
	struct lab_cursor cur;

	me->scrub_at_release = guest == 1;	/* both kinds of release */
	lab_cursor_init(&cur, me, guest);
	for (;;) {
		unsigned int k = (unsigned int)rand_r(&seed) % 64 + 1;

		if (n + k <= HOLD && rand_r(&seed) % 2) {
			k = lab_claim(&cur, LAB_GFP_ATOMIC, rand_r(&seed) % 2, k,
				      held + n);
			for (unsigned int i = 0; i < k; i++) {
				uint64_t *p = (uint64_t *)(m->pool + (size_t)held[n + i] *
							   LAB_ROOM_SIZE);

				if (p[0] || p[LAB_ROOM_SIZE / 16] ||
				    p[LAB_ROOM_SIZE / 8 - 1])
					atomic_fetch_add(&s->dirty_claims, 1);
				stamp(m, held[n + i], guest);
			}
			n += k;
		} else {
			k = k < n ? k : n;
			if (lab_release(&cur, held + n - k, k))
				atomic_fetch_add(&s->release_errors, 1);
			n -= k;
		}
	}
}

static void scrub_worker(struct labyrinth *m)
{
	struct labyrinth *me = heap_lab_guest(m, STORM_WORKER);
	struct lab_cursor cur;

	lab_cursor_init(&cur, me, 0);
	for (;;)
		if (!lab_scrub(&cur, 16))
			usleep(100);
}

static pid_t spawn(struct labyrinth *m, struct storm *s, uint32_t guest)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (guest == STORM_WORKER)
			scrub_worker(m);
		claimer(m, s, guest);
	}
	cr_assert_gt(pid, 0);
	return pid;
}

/* Kill one, wait for it, reap its guest, start it again. */
static void kill_and_reap(struct labyrinth *m, struct storm *s, pid_t *pid,
			  uint32_t guest, bool respawn)
{
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	lab_reap_guest(m, guest);
	*pid = respawn ? spawn(m, s, guest) : 0;
}

/* Every room is owned by nobody alive now: dirty, or free and zero. */
static void check_rooms(struct labyrinth *m)
{
	struct lab_hall *h = m->hall;

	for (uint32_t r = 0; r < STORM_ROOMS; r++) {
		uint32_t o = atomic_load(hall_owner(h, r));

		if (hall_map_is_set(h, r))
			cr_assert_eq(o, LAB_DIRTY, "room %u: owner 0x%x after the reap", r, o);
		else
			cr_assert(tlab_room_zero(m, r), "room %u free but not zero", r);
	}
}

Test(scrub, kill_storm_never_hands_out_a_dirty_room, .timeout = 30)
{
	struct labyrinth *m = shared_lab(STORM_ROOMS, 2);
	struct storm *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid[STORM_WORKER + 1];
	unsigned int seed = 1;
	double end = wall_ns() + STORM_NS;
	struct lab_cursor last;

	for (uint32_t g = 1; g <= STORM_WORKER; g++)
		pid[g] = spawn(m, s, g);
	while (wall_ns() < end) {
		uint32_t g = (uint32_t)rand_r(&seed) % STORM_WORKER + 1;

		usleep((useconds_t)(rand_r(&seed) % 20000));
		if (!pid[g]) {	/* the worker, dead a while: back now */
			pid[g] = spawn(m, s, g);
			continue;
		}
		/* The worker stays dead half the time, claimers never. */
		kill_and_reap(m, s, &pid[g], g, g != STORM_WORKER || rand_r(&seed) % 2);
	}
	for (uint32_t g = 1; g <= STORM_WORKER; g++)
		if (pid[g])
			kill_and_reap(m, s, &pid[g], g, false);
	cr_assert_eq(atomic_load(&s->dirty_claims), 0, "a claim returned a dirty room");
	cr_assert_eq(atomic_load(&s->release_errors), 0);
	check_rooms(m);
	lab_cursor_init(&last, m, 0);
	while (lab_scrub(&last, 512))
		;
	cr_assert_eq(census(m).dirty, 0, "dirty rooms hidden from the scrubber");
	cr_assert_eq(census(m).free, STORM_ROOMS);
	check_rooms(m);
	munmap(s, sizeof(*s));
	heap_lab_free(m);
}

/* A monitor that ends stops its worker: what its guest released last is
 * zeroed then, not left dirty for the next claimer (or for nobody, when no
 * monitor runs). Released all at once and stopped at once, the worker has
 * had no time to get through 16 384 rooms in its ordinary passes. */
Test(scrub, a_stopped_worker_leaves_nothing_dirty)
{
	enum { ROOMS = 16384 };
	struct labyrinth *m = shared_lab(ROOMS + 1024, 1);
	static uint32_t rooms[ROOMS];
	struct lab_cursor me;

	lab_cursor_init(&me, m, 0);
	for (uint32_t n = 0; n < ROOMS; n += 64)
		cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 64, rooms + n), 64);
	cr_assert_eq(lab_scrubber_start(m), 0);
	for (uint32_t n = 0; n < ROOMS; n += 64)
		cr_assert_eq(lab_release(&me, rooms + n, 64), 0);
	lab_cursor_park(&me);
	lab_scrubber_stop(m);
	cr_assert_eq(census(m).dirty, 0, "%u rooms left dirty", census(m).dirty);
	for (uint32_t i = 0; i < ROOMS; i += 97)
		cr_assert(tlab_room_zero(m, rooms[i]), "room %u not zero", rooms[i]);
}
