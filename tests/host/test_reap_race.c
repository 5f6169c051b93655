// SPDX-License-Identifier: MIT
/*
 * test_reap_race.c - reapers racing each other and a fresh attach, made
 * deterministic by pausing a reaper (lab_test_reap_pause) where the race
 * used to be: after it saw a dead slot, and while it holds the slot's lock.
 * Must hold: a lease is reaped at most once, never after its slot was
 * taken again, and a reaper that dies mid-reap is replaced.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_hooks.h"
#include "handle.h"
#include "host.h"
#include "labyrinth_host.h"
#include "nb.h"

#define ROOMS 1024

static char name[64];
static int to_parent[2], to_reaper[2];
static bool pause_locked;	/* in the reaper: which of its stops to pause at */

static void setup(void)
{
	struct lab_geometry geo = { ROOMS, 1, 0 };

	nb_name(name, sizeof(name), "race");
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
	cr_assert_eq(pipe(to_parent), 0);
	cr_assert_eq(pipe(to_reaper), 0);
}

static void teardown(void)
{
	lab_destroy(name);
}

/* In the reaper: say where it stands, then wait (at most 10 s) to go on. */
static void pause_hook(struct labyrinth *lab, uint32_t g, bool locked)
{
	struct pollfd p = { .fd = to_reaper[0], .events = POLLIN };
	char msg[2] = { locked ? 'L' : 'S', (char)g }, c;

	(void)lab;
	if (locked != pause_locked)
		return;
	if (write(to_parent[1], msg, 2) != 2)
		_exit(20);
	if (poll(&p, 1, 10000) == 1 && read(to_reaper[0], &c, 1) == 1)
		return;
	_exit(21);
}

/* A reaper process; it reports what it reaped as "R" + the count. */
static pid_t spawn_reaper(bool at_lock)
{
	pid_t pid = fork();
	struct labyrinth *lab;
	int n;

	cr_assert_geq(pid, 0);
	if (pid)
		return pid;
	pause_locked = at_lock;
	lab_test_reap_pause = pause_hook;
	if (lab_open(name, &lab))
		_exit(22);
	n = lab_reap(lab);
	lab_detach(lab);
	if (write(to_parent[1], "R", 1) != 1 || write(to_parent[1], &n, sizeof(n)) != sizeof(n))
		_exit(23);
	_exit(0);
}

static void read_bounded(void *buf, size_t len)
{
	struct pollfd p = { .fd = to_parent[0], .events = POLLIN };

	cr_assert_eq(poll(&p, 1, 10000), 1, "the reaper said nothing");
	cr_assert_eq(read(to_parent[0], buf, len), (ssize_t)len);
}

static void expect_pause(char where, uint32_t g)
{
	char msg[2];

	read_bounded(msg, 2);
	cr_assert_eq(msg[0], where, "paused at '%c', not '%c'", msg[0], where);
	cr_assert_eq((uint32_t)msg[1], g, "paused on slot %d, not %u", msg[1], g);
}

static int reaper_result(pid_t pid)
{
	char r;
	int n;

	read_bounded(&r, 1);
	cr_assert_eq(r, 'R');
	read_bounded(&n, sizeof(n));
	cr_assert_eq(reap_status(pid, 5000), 0);
	return n;
}

/* A stand-in monitor holding @rooms rooms: its pid, guest and stdout. */
struct holder {
	pid_t pid;
	uint32_t guest;
	int out;
};

static struct holder hold(uint32_t rooms)
{
	char n[16], line[64];
	char *argv[] = { (char *)env_path("NB_HOLDER"), name, n, NULL };
	struct holder h;
	int pid;

	snprintf(n, sizeof(n), "%u", rooms);
	h.pid = spawn_piped(argv, &h.out);
	cr_assert(read_line_within(h.out, line, sizeof(line), 5000), "holder not ready");
	cr_assert_eq(sscanf(line, "ready %u %d", &h.guest, &pid), 2, "%s", line);
	return h;
}

static void kill_holder(struct holder *h)
{
	kill(h->pid, SIGKILL);
	cr_assert_eq(reap_status(h->pid, 5000), 128 + SIGKILL);
	close(h->out);
}

static struct lab_census census(void)
{
	struct labyrinth *lab;
	struct lab_census c;

	cr_assert_eq(lab_open(name, &lab), 0);
	lab_census(lab, &c);
	lab_detach(lab);
	return c;
}

TestSuite(race, .init = setup, .fini = teardown, .timeout = 30);

/* While one reaper holds a dead slot, another reaper passes it by and an
 * attacher takes another slot; the first then reaps it, once. */
Test(race, a_reaper_holding_a_slot_keeps_others_off_it)
{
	struct holder v = hold(100);
	struct labyrinth *b, *c;
	pid_t a;

	kill_holder(&v);
	a = spawn_reaper(true);
	expect_pause('L', v.guest);
	cr_assert_eq(lab_open(name, &b), 0);
	cr_expect_eq(lab_reap(b), 0, "a second reaper reaped a slot being reaped");
	cr_expect_eq(census().guest_rooms[v.guest], 100);
	cr_assert_eq(lab_attach(name, &c), 0);
	cr_expect_neq(c->guest, v.guest, "a slot being reaped was taken");
	cr_assert_eq(write(to_reaper[1], "go", 1), 1);
	cr_expect_eq(reaper_result(a), 100);
	cr_expect_eq(lab_reap(b), 0, "reaped twice");
	lab_detach(c);
	lab_detach(b);
	cr_expect_eq(census().free, ROOMS);
}

/* The race of old: a reaper sees slot g dead, stalls; meanwhile g is
 * reaped and taken by a new monitor; the stale reaper must not touch it. */
Test(race, a_stale_reaper_never_reaps_a_new_lease)
{
	struct holder v = hold(100), d;
	struct labyrinth *b;
	char line[64];
	pid_t a;

	kill_holder(&v);
	a = spawn_reaper(false);
	expect_pause('S', v.guest);
	cr_assert_eq(lab_open(name, &b), 0);
	cr_expect_eq(lab_reap(b), 100);
	lab_detach(b);
	d = hold(50);
	cr_assert_eq(d.guest, v.guest, "the new monitor did not reuse the slot");
	cr_assert_eq(write(to_reaper[1], "go", 1), 1);
	cr_expect_eq(reaper_result(a), 0, "the stale reaper reaped a live lease");
	cr_expect_eq(census().guest_rooms[d.guest], 50);
	cr_expect_not(read_line_within(d.out, line, sizeof(line), 200), "holder: %s", line);
	kill(d.pid, SIGTERM);
	cr_expect_eq(reap_status(d.pid, 5000), 0,
		     "the new monitor lost rooms");
	cr_expect_eq(census().free, ROOMS);
}

/* A reaper killed holding the lock: the kernel drops the lock with it and
 * the next reaper does the whole job. */
Test(race, a_reaper_killed_mid_reap_is_replaced)
{
	struct holder v = hold(100);
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct labyrinth *b;
	pid_t a;

	kill_holder(&v);
	a = spawn_reaper(true);
	expect_pause('L', v.guest);
	kill(a, SIGKILL);
	cr_assert_eq(reap_status(a, 5000), 128 + SIGKILL);
	cr_assert_eq(lab_open(name, &b), 0);
	cr_expect_eq(lab_reap(b), 100);
	cr_expect_eq(lab_leases(b, l, LAB_MAX_GUESTS), 0);
	lab_detach(b);
	cr_expect_eq(census().free, ROOMS);
}

/* The gate's lock byte, closed (write-locked) through a file description
 * of our own, as a recount holds it. */
static int gate_closed(void)
{
	struct lab_plaque p;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	char path[128];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(pread(fd, &p, sizeof(p), st.st_size - LAB_ROOM_SIZE), (ssize_t)sizeof(p));
	fl.l_start = (off_t)(p.hall_len + p.table_len + LAB_LOCK_OFFSET + LAB_MAX_GUESTS);
	cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), 0);
	return fd;
}

/* The free-count recount closes the gate while no lease is alive: an
 * attach meanwhile waits for it, it does not report every slot taken.
 * Played here by closing the gate by hand for 300 ms. */
Test(race, an_attach_waits_for_a_recount)
{
	char *argv[] = { (char *)env_path("NB_HOLDER"), name, "1", NULL };
	char line[64];
	struct holder h;
	int gate = gate_closed();

	h.pid = spawn_piped(argv, &h.out);
	cr_expect_not(read_line_within(h.out, line, sizeof(line), 300), "attached through a closed gate");
	close(gate);
	cr_expect(read_line_within(h.out, line, sizeof(line), 3000), "no attach after the gate opened");
	cr_expect(!strncmp(line, "ready", 5), "%s", line);
	kill(h.pid, SIGTERM);
	cr_expect_eq(reap_status(h.pid, 5000), 0);
	close(h.out);
}

/* ... but not for ever: a gate closed for more than 2 s (a recount
 * stopped half way) is "busy", an error, not a hang. */
Test(race, an_attach_gives_up_on_a_gate_closed_too_long)
{
	struct labyrinth *lab;
	int gate = gate_closed();

	cr_expect_eq(lab_attach(name, &lab), LAB_EBUSY);
	close(gate);
	cr_expect_eq(lab_attach(name, &lab), 0);
	lab_detach(lab);
}

/* A killed holder takes its unpublished free-count delta with it; the
 * recount of a lease-less reaper makes the count exact again. */
Test(race, the_free_count_is_exact_after_a_reap)
{
	struct holder v = hold(10);	/* fewer than a cursor publishes */
	struct labyrinth *b;

	kill_holder(&v);
	cr_assert_eq(lab_open(name, &b), 0);
	cr_expect_eq(lab_reap(b), 10);
	cr_expect_eq(atomic_load(&b->hall->free), ROOMS, "free count %ld",
		     (long)atomic_load(&b->hall->free));
	lab_detach(b);
}

/* What a dead holder published about its window is gone once its slot is
 * reaped or taken again. */
Test(race, a_window_published_by_the_dead_is_cleared)
{
	struct holder v = hold(5);
	struct labyrinth *b, *c;
	struct lab_lease *l;

	kill_holder(&v);
	cr_assert_eq(lab_open(name, &b), 0);
	l = &b->hall->lease[v.guest];
	atomic_store(&l->window_va, 0x7f0000000000ull);
	atomic_store(&l->window_len, 1ull << 30);
	cr_assert_eq(lab_attach(name, &c), 0);
	cr_assert_eq(c->guest, v.guest);
	cr_expect_eq(atomic_load(&l->window_va), 0);
	cr_expect_eq(atomic_load(&l->window_len), 0);
	atomic_store(&l->window_va, 0x7f0000000000ull);	/* as a monitor would */
	lab_detach(c);
	cr_expect_eq(atomic_load(&l->window_va), 0, "a detach left its window");
	cr_expect_eq(atomic_load(&l->word), 0);
	lab_detach(b);
}
