// SPDX-License-Identifier: MIT
/*
 * test_storm.c - a kill storm: monitors claiming, stamping, checking and
 * releasing rooms, reapers reaping and taking short leases, all killed
 * with SIGKILL at random and replaced, for a few seconds.  Must hold
 * throughout: no room has two live owners, every room comes scrubbed, no
 * live monitor's room changes hands or loses its stamp (a reaper reaping
 * a live lease would do that), and at the end everything is free again.
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

#include "labyrinth_host.h"
#include "nb.h"

#define ROOMS		(16 * 512)
#define MONITORS	6
#define REAPERS		2
#define HOLD_MAX	400
#define SERIALS		4096
#define STORM_KILLS	40
#define STORM_CLAIMS	10000

enum {
	FAIL_TWO_OWNERS = 1,
	FAIL_NOT_SCRUBBED = 2,
	FAIL_CHANGED_HANDS = 4,
	FAIL_RELEASE = 8,
	FAIL_ATTACH = 16,
};

/* Shared by all the processes of the storm. */
struct control {
	_Atomic int stop, failures;
	_Atomic uint64_t claimed, reaped;
	_Atomic uint8_t doomed[SERIALS];	/* set just before its SIGKILL */
	_Atomic uint32_t shadow[ROOMS];		/* serial holding the room, 0 */
};

static struct control *ctl;
static char name[64];

static void setup(void)
{
	struct lab_geometry geo = { ROOMS, 2, 0 };

	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	cr_assert_neq(ctl, MAP_FAILED);
	nb_name(name, sizeof(name), "storm");
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
}

static void teardown(void)
{
	lab_destroy(name);
}

static void fail(int what)
{
	atomic_fetch_or(&ctl->failures, what);
}

static uint64_t *stamp(struct labyrinth *lab, uint32_t room)
{
	return (uint64_t *)((char *)lab_pool(lab) + (size_t)room * LAB_ROOM_SIZE);
}

/* A room whose shadow names another serial is fine only if that one was
 * doomed: its rooms were reaped. */
static void take(struct labyrinth *lab, uint32_t serial, uint32_t room)
{
	uint32_t seen = 0;

	if (!atomic_compare_exchange_strong(&ctl->shadow[room], &seen, serial)) {
		if (!atomic_load(&ctl->doomed[seen]))
			fail(FAIL_TWO_OWNERS);
		atomic_store(&ctl->shadow[room], serial);
	}
	if (*stamp(lab, room))
		fail(FAIL_NOT_SCRUBBED);
	*stamp(lab, room) = (uint64_t)serial << 32 | room;
}

static bool still_mine(struct labyrinth *lab, struct lab_cursor *cur, uint32_t serial,
		       uint32_t room)
{
	return *stamp(lab, room) == ((uint64_t)serial << 32 | room) &&
	       lab_room_owner(lab, room) == lab_cursor_owner(cur);
}

static void give(struct labyrinth *lab, struct lab_cursor *cur, uint32_t serial,
		 const uint32_t *rooms, unsigned int k)
{
	for (unsigned int i = 0; i < k; i++) {
		if (!still_mine(lab, cur, serial, rooms[i]))
			fail(FAIL_CHANGED_HANDS);
		atomic_store(&ctl->shadow[rooms[i]], 0);
	}
	if (k && lab_release(cur, rooms, k))
		fail(FAIL_RELEASE);
}

static void check_all(struct labyrinth *lab, struct lab_cursor *cur, uint32_t serial,
		      const uint32_t *held, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!still_mine(lab, cur, serial, held[i]))
			fail(FAIL_CHANGED_HANDS);
}

static void monitor(uint32_t serial)
{
	static uint32_t held[HOLD_MAX + 32];
	unsigned int seed = serial, n = 0;
	struct lab_cursor cur;
	struct labyrinth *lab;

	if (lab_attach(name, &lab)) {
		fail(FAIL_ATTACH);
		_exit(1);
	}
	lab_cursor_init(&cur, lab, 1);
	for (unsigned long round = 0; !atomic_load(&ctl->stop); round++) {
		unsigned int k = rand_r(&seed) % 32 + 1;

		if (n + k <= HOLD_MAX && rand_r(&seed) % 2) {
			k = lab_claim(&cur, LAB_GFP_ATOMIC, rand_r(&seed) % 2, k, held + n);
			for (unsigned int i = 0; i < k; i++)
				take(lab, serial, held[n + i]);
			n += k;
			atomic_fetch_add(&ctl->claimed, k);
		} else {
			k = k < n ? k : n;
			give(lab, &cur, serial, held + n - k, k);
			n -= k;
		}
		if (round % 64 == 0)
			check_all(lab, &cur, serial, held, n);
	}
	for (unsigned int i = 0; i < n; i += 32)
		give(lab, &cur, serial, held + i, n - i < 32 ? n - i : 32);
	lab_cursor_park(&cur);
	lab_detach(lab);
	_exit(0);
}

/* Reaps, looks at the leases (holder scan included), and now and then
 * takes a short lease of its own, which reaps on attach too. */
static void reaper(uint32_t serial)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct labyrinth *lab;

	for (unsigned int round = serial; !atomic_load(&ctl->stop); round++) {
		if (!lab_open(name, &lab)) {
			int n = lab_reap(lab);

			if (n > 0)
				atomic_fetch_add(&ctl->reaped, (uint64_t)n);
			if (round % 8 == 0)
				lab_leases(lab, l, LAB_MAX_GUESTS);
			lab_detach(lab);
		}
		if (round % 4 == 0 && !lab_attach(name, &lab))
			lab_detach(lab);
		sleep_ms(2);
	}
	_exit(0);
}

struct proc {
	pid_t pid;
	uint32_t serial;
	bool is_reaper;
};

static void spawn(struct proc *p, uint32_t serial)
{
	p->serial = serial;
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (!p->pid) {
		if (p->is_reaper)
			reaper(serial);
		monitor(serial);
	}
}

/* The storm has been a storm: kills, traffic between them, and reaps. */
static bool storm_done(unsigned int kills)
{
	return kills >= STORM_KILLS && atomic_load(&ctl->claimed) >= STORM_CLAIMS &&
	       atomic_load(&ctl->reaped) > 0;
}

Test(storm, monitors_and_reapers_killed_during_traffic, .init = setup, .fini = teardown,
     .timeout = 60)
{
	struct proc p[MONITORS + REAPERS] = { 0 };
	unsigned int seed = 7, kills = 0;
	uint32_t serial = 1;
	struct labyrinth *lab;
	struct lab_census c;

	for (unsigned int i = 0; i < MONITORS + REAPERS; i++) {
		p[i].is_reaper = i >= MONITORS;
		spawn(&p[i], serial++);
	}
	/* Until enough has happened, not for a time: a slow machine (a
	 * sanitizer, others' load) takes longer, never fewer kills. */
	while (!storm_done(kills) && serial < SERIALS) {
		struct proc *v = &p[rand_r(&seed) % (MONITORS + REAPERS)];

		sleep_ms(5 + rand_r(&seed) % 15);
		atomic_store(&ctl->doomed[v->serial], 1);
		kill(v->pid, SIGKILL);
		cr_assert_eq(reap_status(v->pid, 5000), 128 + SIGKILL,
			     "serial %u did not die of the kill", v->serial);
		spawn(v, serial++);
		kills++;
	}
	atomic_store(&ctl->stop, 1);
	for (unsigned int i = 0; i < MONITORS + REAPERS; i++)
		cr_expect_eq(reap_status(p[i].pid, 10000), 0,
			     "serial %u did not end cleanly", p[i].serial);
	cr_assert_eq(lab_open(name, &lab), 0);
	lab_reap(lab);
	lab_census(lab, &c);
	cr_expect_eq(atomic_load(&ctl->failures), 0, "failures %#x",
		     atomic_load(&ctl->failures));
	cr_expect_eq(c.free, ROOMS, "%u rooms leaked", ROOMS - c.free);
	cr_expect_eq(lab_leases(lab, (struct lab_lease_info[LAB_MAX_GUESTS]){ 0 },
				LAB_MAX_GUESTS), 0, "leases left");
	lab_detach(lab);
	cr_expect(storm_done(kills), "only %u kills, %lu rooms claimed, %lu reaped after %u "
		  "processes", kills, (unsigned long)atomic_load(&ctl->claimed),
		  (unsigned long)atomic_load(&ctl->reaped), serial);
	cr_expect_gt(atomic_load(&ctl->reaped), 0, "nothing was ever reaped");
	fprintf(stderr, "storm: %u kills, %lu rooms claimed, %lu reaped\n", kills,
		(unsigned long)atomic_load(&ctl->claimed), (unsigned long)atomic_load(&ctl->reaped));
}
