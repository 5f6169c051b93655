// SPDX-License-Identifier: MIT
/*
 * bench_scrub.c - the scrub: which zeroing primitive wins on this machine,
 * and what a release costs the guest when it zeroes (the old way) against
 * when it leaves the rooms dirty for the background worker.
 *
 *   zero.<primitive>.{cold,warm,hot}   ns per 4 KiB room, zeroing rooms of
 *       a 256 MiB region in turn (cold: larger than the caches), of an
 *       8 MiB one (warm: in the last-level cache, where a room a guest
 *       released a moment ago is when the worker comes), or the same
 *       16 KiB again and again (hot).  fallocate_punch is punching the
 *       room out of a memfd and faulting a zero page back in by writing.
 *   labyrinth.release_scrub.per_room.{at_release,dirty}   lab_release()
 *       of 64 rooms the thread just claimed and wrote, per room; ".dirty"
 *       is the new path (what the guest waits for), with the worker
 *       zeroing beside it (labyrinth.scrub_worker.per_room).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_guard.h"
#include "labyrinth_host.h"
#include "zero.h"

#define COLD_BYTES	(256ul << 20)
#define WARM_BYTES	(8ul << 20)	/* past L2, within L3 */
#define HOT_ROOMS	4
#define PASSES		2
#define BATCH		64
#define RELEASE_ROOMS	(1u << 15)	/* 128 MiB pool */
#define RELEASE_OPS	3000

static void zero_memset(void *room)
{
	memset(room, 0, LAB_ROOM_SIZE);
}

static int punch_fd = -1;
static char *punch_base;

static void zero_punch(void *room)
{
	off_t off = (char *)room - punch_base;

	fallocate(punch_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		  LAB_ROOM_SIZE);
	*(volatile char *)room = 0;	/* the refault the next user pays */
}

static const struct {
	const char *name;
	void (*zero)(void *room);
} primitives[] = {
	{ "stores", lab_zero_stores },
	{ "rep_stosb", lab_zero_stosb },
	{ "nontemporal", lab_zero_nontemporal },
	{ "libc_memset", zero_memset },
	{ "fallocate_punch", zero_punch },
};
#define NPRIM (sizeof(primitives) / sizeof(primitives[0]))

/* ns per room of @zero over @rooms rooms of @base, @passes times. */
static double zero_run(void (*zero)(void *), char *base, size_t rooms,
		       size_t count, double *cpu)
{
	double t0 = wall_ns(), c0 = thread_cpu_ns();

	for (size_t i = 0; i < count; i++)
		zero(base + (i % rooms) * LAB_ROOM_SIZE);
	*cpu = (thread_cpu_ns() - c0) / (double)count;
	return (wall_ns() - t0) / (double)count;
}

/* Median over clean repetitions of one primitive on one region. */
static double zero_figure(size_t p, char *base, size_t rooms, size_t count,
			  const char *where)
{
	double ns[GUARD_TRIES], cpu[GUARD_TRIES], med;
	bool ok[GUARD_TRIES];
	int clean = 0, reps = 0;
	char name[96];

	for (; guard_more(clean, reps); reps++) {
		struct guard_rep g = { .quiet_before = guard_wait_quiet() };
		struct guard_snap s0, s1;

		memset(base, 1, rooms * LAB_ROOM_SIZE);	/* dirty, faulted in */
		guard_snap(&s0);
		ns[reps] = zero_run(primitives[p].zero, base, rooms, count, &cpu[reps]);
		guard_snap(&s1);
		g.others = guard_others(&s0, &s1);
		g.min_share = cpu[reps] / ns[reps];
		ok[reps] = guard_clean(&g);
		clean += ok[reps];
	}
	snprintf(name, sizeof(name), "zero.%s.%s", primitives[p].name, where);
	guard_note(name, clean, reps);
	med = guard_pick(ns, ok, reps);
	printf("BENCH %s %.1f ns\n", name, med);
	printf("BENCH %s.cpu %.1f ns\n", name, guard_pick(cpu, ok, reps));
	return med;
}

static void zeroing(void)
{
	size_t rooms = COLD_BYTES / LAB_ROOM_SIZE;
	double cold[NPRIM], warm[NPRIM];
	size_t best = 0, best_warm = 0;

	punch_fd = memfd_create("zero-bench", 0);
	if (punch_fd < 0 || ftruncate(punch_fd, (off_t)COLD_BYTES))
		abort();
	punch_base = mmap(NULL, COLD_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
			  punch_fd, 0);
	if (punch_base == MAP_FAILED)
		abort();
	for (size_t p = 0; p < NPRIM; p++) {
		cold[p] = zero_figure(p, punch_base, rooms, rooms * PASSES, "cold");
		warm[p] = zero_figure(p, punch_base, WARM_BYTES / LAB_ROOM_SIZE,
				      rooms / 4, "warm");
		zero_figure(p, punch_base, HOT_ROOMS, rooms / 4, "hot");
		best = cold[p] < cold[best] ? p : best;
		best_warm = warm[p] < warm[best_warm] ? p : best_warm;
	}
	printf("# fastest zeroing, cold rooms: %s (%.2fx rep stosb); warm "
	       "rooms: %s (%.2fx the plain stores); the scrub uses rep stosb\n",
	       primitives[best].name, cold[1] / cold[best],
	       primitives[best_warm].name, warm[0] / warm[best_warm]);
	munmap(punch_base, COLD_BYTES);
	close(punch_fd);
}

/* ---- release with and without the scrub ---- */

static atomic_bool worker_stop;
static atomic_long worker_rooms;
static double worker_ns;

static void *worker(void *arg)
{
	struct lab_cursor cur;
	double busy = 0;

	lab_cursor_init(&cur, arg, LAB_MAX_VCPUS - 1);
	while (!atomic_load(&worker_stop)) {
		double t0 = thread_cpu_ns();
		unsigned int n = lab_scrub(&cur, BATCH);

		busy += thread_cpu_ns() - t0;
		atomic_fetch_add(&worker_rooms, n);
		if (!n)
			usleep(200);
	}
	lab_cursor_park(&cur);
	worker_ns = busy;
	return NULL;
}

/* Claim 64, write them, release them (timed); ns per released room. */
static double release_run(struct labyrinth *lab, double *cpu)
{
	struct lab_cursor cur;
	uint32_t rooms[BATCH];
	double wall = 0, c = 0;

	lab_cursor_init(&cur, lab, 0);
	for (int i = 0; i < RELEASE_OPS; i++) {
		double t0, c0;

		if (lab_claim(&cur, LAB_GFP_ATOMIC, 0, BATCH, rooms) != BATCH)
			abort();
		for (int k = 0; k < BATCH; k++)
			memset(lab->pool + (size_t)rooms[k] * LAB_ROOM_SIZE, 7, 64);
		t0 = wall_ns();
		c0 = thread_cpu_ns();
		lab_release(&cur, rooms, BATCH);
		c += thread_cpu_ns() - c0;
		wall += wall_ns() - t0;
	}
	lab_cursor_park(&cur);
	*cpu = c / (RELEASE_OPS * BATCH);
	return wall / (RELEASE_OPS * BATCH);
}

static void release_figure(struct labyrinth *lab, bool at_release)
{
	double ns[GUARD_TRIES], cpu[GUARD_TRIES];
	bool ok[GUARD_TRIES];
	int clean = 0, reps = 0;
	pthread_t t;
	char name[96];

	lab->scrub_at_release = at_release;
	atomic_store(&worker_stop, false);
	atomic_store(&worker_rooms, 0);
	if (!at_release)
		pthread_create(&t, NULL, worker, lab);
	for (; guard_more(clean, reps); reps++) {
		struct guard_rep g = { .quiet_before = guard_wait_quiet() };
		struct guard_snap s0, s1;

		guard_snap(&s0);
		ns[reps] = release_run(lab, &cpu[reps]);
		guard_snap(&s1);
		g.others = guard_others(&s0, &s1);
		g.min_share = cpu[reps] / ns[reps];
		ok[reps] = guard_clean(&g);
		clean += ok[reps];
	}
	if (!at_release) {
		atomic_store(&worker_stop, true);
		pthread_join(t, NULL);
	}
	snprintf(name, sizeof(name), "labyrinth.release_scrub.per_room.%s",
		 at_release ? "at_release" : "dirty");
	guard_note(name, clean, reps);
	printf("BENCH %s %.1f ns\n", name, guard_pick(ns, ok, reps));
	printf("BENCH %s.cpu %.1f ns\n", name, guard_pick(cpu, ok, reps));
	if (!at_release) {
		printf("BENCH labyrinth.release_scrub.per_room %.1f ns\n",
		       guard_pick(ns, ok, reps));
		printf("BENCH labyrinth.scrub_worker.per_room %.1f ns\n",
		       worker_ns / (double)(atomic_load(&worker_rooms) + 1));
	}
}

int main(int argc, char **argv)
{
	(void)argv;	/* any argument: the primitives only */
	struct lab_geometry geo = { RELEASE_ROOMS, 1, 0 };
	struct labyrinth *lab;

	setvbuf(stdout, NULL, _IOLBF, 0);
	zeroing();
	if (argc < 2 && lab_create_private(&geo, &lab) == 0) {
		release_figure(lab, true);
		release_figure(lab, false);
		lab_detach(lab);
	}
	guard_verdict();
	return 0;
}
