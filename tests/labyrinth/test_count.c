// SPDX-License-Identifier: MIT
/*
 * test_count.c - the free count (shared/count.c) stays true through kills,
 * reaps, recounts and lent extents, so GFP_NORMAL never takes the reserve.
 * Children are processes SIGKILLed while they hold rooms, as a VMM is.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labyrinth_extent.h"
#include "support.h"

#define ROOMS	2048u
#define RESERVE	512u

static uint32_t census_free(struct labyrinth *m)
{
	struct lab_census c;

	lab_census(m, &c);
	return c.free;
}

/* In a child of @guest: claim @n rooms on one vCPU cursor, never parked
 * (a vCPU keeps its district across claims), with GFP_NORMAL. */
static void child_claims(struct labyrinth *me, unsigned int n)
{
	struct lab_cursor cur;
	uint32_t rooms[64];

	lab_cursor_init(&cur, me, 0);
	while (n) {
		unsigned int k = lab_claim(&cur, LAB_GFP_NORMAL, 0,
					   n < 64 ? n : 64, rooms);

		if (!k)
			_exit(3);
		n -= k;
	}
}

/* In a child of @guest: lend districts [0, 2) and claim @n rooms there. */
static void child_lends(struct labyrinth *me, unsigned int n)
{
	struct lab_cursor cur;
	uint32_t rooms[64];

	if (lab_districts_lend(me, 0, 2, lab_owner(me->guest, 0)))
		_exit(3);
	lab_cursor_init(&cur, me, 0);
	while (n) {
		unsigned int k = lab_claim_within(&cur, 0, 2, n < 64 ? n : 64,
						  rooms);

		if (!k)
			_exit(4);
		n -= k;
	}
}

/* Fork a child of @guest that runs @body(@n), says so, and waits to be
 * SIGKILLed; then kill it. */
static void kill_after(struct labyrinth *m, uint32_t guest,
		       void (*body)(struct labyrinth *, unsigned int),
		       unsigned int n)
{
	int fds[2], status;
	char c = 0;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		body(heap_lab_guest(m, guest), n);
		if (write(fds[1], &c, 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "the child failed before its kill");
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void expect_whole(struct labyrinth *m, const char *after)
{
	cr_assert_eq(census_free(m), ROOMS, "%s: rooms lost", after);
	cr_assert_eq(lab_free_watched(m), (int64_t)ROOMS,
		     "%s: free count %lld, the pool has %u rooms", after,
		     (long long)lab_free_watched(m), ROOMS);
}

/* GFP_NORMAL must stop where the reserve starts. */
static void expect_reserve_kept(struct labyrinth *m)
{
	struct lab_cursor cur;
	uint32_t rooms[64];
	unsigned int got = 0, k;

	lab_cursor_init(&cur, m, 7);
	while ((k = lab_claim(&cur, LAB_GFP_NORMAL, 0, 64, rooms)) > 0)
		got += k;
	cr_assert_eq(got, ROOMS - RESERVE, "GFP_NORMAL got %u rooms, not %u",
		     got, ROOMS - RESERVE);
}

/*
 * A killed cursor's claims not yet published (fewer than a district's, or
 * past the last batch it published) were never counted out: a reaper that
 * counted back what it freed made the count too high by them, kill after
 * kill, and GFP_NORMAL then took the reserve.
 */
Test(count, killed_claimers_leave_the_count_whole)
{
	struct labyrinth *m = shared_lab_reserve(ROOMS, 1, RESERVE);
	static const unsigned int held[] = { 400, 400, 1100, 1 };

	for (unsigned int i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		kill_after(m, 5, child_claims, held[i]);
		cr_assert_eq(lab_reap_guest(m, 5), held[i]);
		expect_whole(m, "kill and reap");
	}
	cr_assert_eq(lab_reap_guest(m, 5), 0);
	expect_whole(m, "a second reap");
	expect_reserve_kept(m);
	heap_lab_free(m);
}

/*
 * An extent's rooms leave the count when lent; its lender killed with
 * rooms claimed there, or right after the lend, gets them all back when
 * its lease is reaped (the extent returned first, as the host does).
 */
Test(count, a_killed_lenders_extent_counts_back_whole)
{
	struct labyrinth *m = shared_lab_reserve(ROOMS, 1, RESERVE);
	static const unsigned int held[] = { 100, 0 };

	for (unsigned int i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		kill_after(m, 3, child_lends, held[i]);
		cr_assert_eq(lab_free_watched(m),
			     (int64_t)(ROOMS - 2 * LAB_DISTRICT_ROOMS),
			     "a lent extent leaves the count");
		if (held[i])	/* returned: its free rooms come back */
			lab_districts_count_back(m, 0, 2, 3);
		cr_assert_eq(lab_reap_guest(m, 3), held[i]);
		expect_whole(m, "the lender's reap");
	}
	expect_reserve_kept(m);
	heap_lab_free(m);
}

/*
 * A recount with rooms still dirty: a release counted them free, and the
 * scrubber that frees them later counts nothing, so a recount from clear
 * map bits alone left the count short by them for good.
 */
Test(count, a_recount_counts_dirty_rooms_free)
{
	struct labyrinth *m = shared_lab_reserve(ROOMS, 1, RESERVE);
	struct lab_cursor me, scrubber;
	uint32_t rooms[LAB_HC_BATCH_MAX];

	lab_cursor_init(&me, m, 0);
	lab_cursor_init(&scrubber, m, 1);
	cr_assert_eq(lab_claim(&me, LAB_GFP_NORMAL, 0, 500, rooms), 500);
	cr_assert_eq(lab_release(&me, rooms, 500), 0);
	lab_cursor_park(&me);
	lab_recount_free(m);	/* the last lease gone, rooms still dirty */
	expect_whole(m, "a recount");
	while (lab_scrub(&scrubber, LAB_HC_BATCH_MAX))
		;
	expect_whole(m, "the scrub");
	expect_reserve_kept(m);
	heap_lab_free(m);
}
