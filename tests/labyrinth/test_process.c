// SPDX-License-Identifier: MIT
/*
 * test_process.c - processes sharing a named labyrinth, one of them killed
 * with SIGKILL mid-run: the survivors (reap on attach) or an explicit reap
 * must recover every room, scrubbed, and no room may have two owners.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handle.h"	/* builds its handles by hand */
#include "labyrinth_host.h"
#include "test_wait.h"

#define ROOMS		(16 * 512)
#define HOLD_MAX	700

enum {
	FAIL_TWO_OWNERS = 1,
	FAIL_NOT_SCRUBBED = 2,
	FAIL_CHANGED_HANDS = 4,
	FAIL_RELEASE = 8,
};

struct control {
	_Atomic int stop;
	_Atomic int failures;
	_Atomic int running;
	_Atomic int victim_dead;
	_Atomic uint32_t victim_guest;
	_Atomic uint32_t shadow[ROOMS];
};

static struct control *ctl;
static char name[64];

static void setup(void)
{
	struct lab_geometry geo = { ROOMS, 2, 0 };

	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(name, sizeof(name), "test-proc-%d", getpid());
	cr_assert_eq(lab_create(name, &geo), 0);
}

static void teardown(void)
{
	lab_destroy(name);
}

/* A room taken from a dead victim's shadow is fine: it was reaped. */
static void take(struct labyrinth *m, uint32_t owner, uint32_t room)
{
	uint64_t *stamp = (uint64_t *)((char *)lab_pool(m) +
				       (size_t)room * LAB_ROOM_SIZE);
	uint32_t seen = 0;

	if (!atomic_compare_exchange_strong(&ctl->shadow[room], &seen, owner)) {
		if (!atomic_load(&ctl->victim_dead) ||
		    lab_owner_guest(seen) != atomic_load(&ctl->victim_guest))
			atomic_fetch_or(&ctl->failures, FAIL_TWO_OWNERS);
		atomic_store(&ctl->shadow[room], owner);
	}
	if (*stamp)
		atomic_fetch_or(&ctl->failures, FAIL_NOT_SCRUBBED);
	*stamp = owner;
}

static void give(struct labyrinth *m, uint32_t owner, uint32_t room)
{
	uint64_t *stamp = (uint64_t *)((char *)lab_pool(m) +
				       (size_t)room * LAB_ROOM_SIZE);

	if (*stamp != owner || lab_room_owner(m, room) != owner)
		atomic_fetch_or(&ctl->failures, FAIL_CHANGED_HANDS);
	atomic_store(&ctl->shadow[room], 0);
}

/* Claim and release at random until told to stop (or killed). */
static void churn(struct labyrinth *m, uint32_t hold_min)
{
	static uint32_t held[HOLD_MAX + 64];
	unsigned int seed = (unsigned int)getpid(), n = 0;
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 1);
	atomic_fetch_add(&ctl->running, 1);
	while (!atomic_load(&ctl->stop)) {
		unsigned int k = rand_r(&seed) % 32 + 1;

		if (n < hold_min || (n + k <= HOLD_MAX && rand_r(&seed) % 2)) {
			k = lab_claim(&cur, LAB_GFP_ATOMIC, 0, k, held + n);
			for (unsigned int i = 0; i < k; i++)
				take(m, lab_cursor_owner(&cur), held[n + i]);
			n += k;
			continue;
		}
		k = k < n ? k : n;
		for (unsigned int i = 0; i < k; i++)
			give(m, lab_cursor_owner(&cur), held[n - k + i]);
		if (lab_release(&cur, held + n - k, k))
			atomic_fetch_or(&ctl->failures, FAIL_RELEASE);
		n -= k;
	}
	for (unsigned int i = 0; i < n; i++)
		give(m, lab_cursor_owner(&cur), held[i]);
	for (unsigned int i = 0; i < n; i += LAB_HC_BATCH_MAX)
		if (lab_release(&cur, held + i, n - i < LAB_HC_BATCH_MAX ?
				n - i : LAB_HC_BATCH_MAX))
			atomic_fetch_or(&ctl->failures, FAIL_RELEASE);
	lab_cursor_park(&cur);
}

static pid_t spawn(bool victim, uint32_t hold_min)
{
	pid_t pid = fork();
	struct labyrinth *m;

	if (pid)
		return pid;
	if (lab_attach(name, &m))
		_exit(10);
	if (victim)
		atomic_store(&ctl->victim_guest, m->guest);
	churn(m, hold_min);
	lab_detach(m);
	_exit(0);
}

static void wait_running(int n)
{
	cr_assert(WAIT_UNTIL(atomic_load(&ctl->running) >= n, 10000),
		  "%d of %d churners running", atomic_load(&ctl->running), n);
}

/* Rooms the victim holds, as the labyrinth counts them (its guest is
 * known once it runs). */
static uint32_t victim_rooms(void)
{
	struct labyrinth *m;
	struct lab_census c;

	cr_assert_eq(lab_open(name, &m), 0);
	lab_census(m, &c);
	lab_detach(m);
	return c.guest_rooms[atomic_load(&ctl->victim_guest)];
}

/* Killed only once it holds @n rooms: what the reap must find is there.
 * It never gives back below its floor less one batch (churn()). */
static void wait_victim_holds(uint32_t n)
{
	cr_assert(WAIT_UNTIL(victim_rooms() >= n, 10000),
		  "the victim holds %u rooms, never %u", victim_rooms(), n);
}

static void kill_victim(pid_t victim)
{
	int status;

	kill(victim, SIGKILL);
	waitpid(victim, &status, 0);
	cr_assert(WIFSIGNALED(status), "the victim was not killed");
	atomic_store(&ctl->victim_dead, 1);
}

static void reap_survivors(pid_t *pid, int n)
{
	atomic_store(&ctl->stop, 1);
	for (int i = 0; i < n; i++) {
		int status;

		waitpid(pid[i], &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "survivor %d failed (status %#x)", i, status);
	}
}

static void expect_everything_free(void)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct labyrinth *m;
	struct lab_census c;

	cr_assert_eq(lab_open(name, &m), 0);
	lab_census(m, &c);
	cr_assert_eq(atomic_load(&ctl->failures), 0, "failures %#x",
		     atomic_load(&ctl->failures));
	cr_assert_eq(c.free, ROOMS, "%u rooms leaked", ROOMS - c.free);
	cr_assert_eq(lab_leases(m, l, LAB_MAX_GUESTS), 0);
	lab_detach(m);
}

Test(process, survivors_reap_a_killed_holder_on_attach, .init = setup,
     .fini = teardown, .timeout = 20)
{
	pid_t pid[3], victim;

	pid[0] = spawn(false, 0);
	pid[1] = spawn(false, 0);
	victim = spawn(true, 400);
	wait_running(3);
	wait_victim_holds(400);
	kill_victim(victim);
	/* A newcomer reaps on attach while the others keep churning. */
	pid[2] = spawn(false, 0);
	wait_running(4);
	sleep_ms(300);	/* pacing: the newcomer churns beside the others a while */
	reap_survivors(pid, 3);
	expect_everything_free();
}

Test(process, explicit_reap_recovers_a_killed_holder, .init = setup,
     .fini = teardown, .timeout = 20)
{
	struct labyrinth *m;
	pid_t pid[1], victim;
	uint32_t held;
	int reaped;

	pid[0] = spawn(false, 0);
	victim = spawn(true, 600);
	wait_running(2);
	wait_victim_holds(600);
	kill_victim(victim);

	cr_assert_eq(lab_open(name, &m), 0);
	/* From the owner words, not the census: a cursor publishes its count
	 * in batches, and one killed mid-run leaves its last batch unsaid. */
	held = 0;
	for (uint32_t r = 0; r < lab_rooms(m); r++) {
		uint32_t o = lab_room_owner(m, r);

		held += o && lab_owner_guest(o) == atomic_load(&ctl->victim_guest);
	}
	cr_assert_geq(held, 500, "the victim held only %u rooms", held);
	reaped = lab_reap(m);
	/* Its rooms, and those it released that its cursor kept to reuse
	 * (still its guest's, zeroed by the reap: shared/reuse.c). */
	cr_assert(reaped >= (int)held && reaped <= (int)(held + LAB_REUSE),
		  "reaped %d of %u rooms (and up to %u kept to reuse)", reaped,
		  held, LAB_REUSE);
	cr_assert_eq(lab_reap(m), 0, "a second reap found more");
	lab_detach(m);
	reap_survivors(pid, 1);
	expect_everything_free();
}
