// SPDX-License-Identifier: MIT
/*
 * test_slot.c - what outlives a lease: nothing.  Limits an operator sets
 * while the lease ends, and a pressure episode its monitor began before it
 * was killed, are gone once the slot is free and the reaper has run.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slot.h"
#include "labyrinth_host.h"
#include "support.h"

#define ROOMS	8192u

static atomic_bool stop;
static atomic_ulong calls;

/* An operator's `labyrinth limit` on slot 2, again and again. */
static void *limiter(void *arg)
{
	struct labyrinth *m = arg;

	while (!atomic_load(&stop)) {
		lab_limits_set(m, 2, 4096, 3000);
		atomic_fetch_add(&calls, 1);
	}
	return NULL;
}

/*
 * A lease ending (its slot cleared: limits first, the word last) races a
 * setter that saw the word still there: limits must never stay on the free
 * slot, holding rooms back for nobody.
 */
Test(slot, limits_set_as_the_lease_ends_do_not_outlive_it)
{
	struct labyrinth *m = heap_lab(ROOMS, 1, 0, false);
	struct lab_limits l;
	pthread_t t;
	int left = 0;

	pthread_create(&t, NULL, limiter, m);
	for (int i = 0; i < 20000; i++) {
		unsigned long c;

		lab_slot_fill(m, 2, 1000 + (uint64_t)i);
		lab_slot_clear(m, 2);
		/* the call in flight at the clear has finished */
		c = atomic_load(&calls);
		while (atomic_load(&calls) < c + 2)
			;
		lab_limits_get(m, 2, &l);
		left += l.min != 0;
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	lab_limits_get(m, 2, &l);
	cr_expect_eq(l.min, 0, "a guarantee of %u rooms on a free slot", l.min);
	cr_expect_eq(left, 0, "%d times a cleared slot kept a guarantee", left);
	heap_lab_free(m);
}

/* A monitor takes rooms until an episode begins, says so, then waits to
 * be killed. */
static void monitor_under_pressure(const char *name, int fd)
{
	struct labyrinth *lab;
	struct lab_cursor cur;
	uint32_t rooms[512];
	uint64_t seen = 0;

	if (lab_attach(name, &lab))
		_exit(3);
	lab_cursor_init(&cur, lab, 0);
	while (!lab_pressure_poll(lab, &seen)) {
		if (!lab_claim(&cur, LAB_GFP_ATOMIC, 0, 512, rooms))
			_exit(4);
		lab_cursor_park(&cur);
	}
	if (write(fd, "p", 1) != 1)
		_exit(5);
	for (;;)
		pause();
}

Test(slot, a_killed_monitors_pressure_ends_with_its_reap)
{
	struct lab_geometry geo = { ROOMS, 1, 256 };
	struct labyrinth *reaper;
	char name[64], c;
	int fds[2];
	bool now;
	pid_t pid;

	snprintf(name, sizeof(name), "test-slot-%d", getpid());
	cr_assert_eq(lab_create(name, &geo), 0);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0)
		monitor_under_pressure(name, fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "no episode began");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_eq(lab_open(name, &reaper), 0);
	lab_pressure_events(reaper, &now);
	cr_assert(now, "under pressure before the reap");
	cr_expect_gt(lab_reap(reaper), 0);
	lab_pressure_events(reaper, &now);
	cr_expect_not(now, "under pressure with every room back (free count %lld)",
		      (long long)lab_free_watched(reaper));
	lab_detach(reaper);
	lab_destroy(name);
}
