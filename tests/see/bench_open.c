// SPDX-License-Identifier: MIT
/*
 * bench_open.c - what a reader's attach costs (lab_open: `info`, `top`,
 * `list`, `metrics`, `map`, `check` each start with one), against a
 * monitor's (lab_attach, which populates and pins the whole pool) on the
 * same labyrinth in the same run, alternated.  A labyrinth of 2 GiB in
 * two extents.  Per attach and detach, medians of the clean repetitions
 * (bench_guard.h), thread CPU beside wall:
 *   see.open.reader.{wall,cpu} ms, see.open.monitor.{wall,cpu} ms (the
 *   control), see.open.reader_over_monitor.cpu x.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_guard.h"
#include "labyrinth_extent.h"
#include "labyrinth_host.h"

#define ROOMS	(1u << 19)
#define EXTENT	(1u << 18)

static char name[64];

/* One attach and detach: its wall and thread CPU, in ms. */
static void one(bool reader, double *wall, double *cpu)
{
	double w0 = wall_ns(), c0 = thread_cpu_ns();
	struct labyrinth *lab;
	int err = reader ? lab_open(name, &lab) : lab_attach(name, &lab);

	if (err) {
		fprintf(stderr, "bench_open: %s: %s\n", reader ? "open" : "attach",
			lab_strerror(err));
		lab_destroy(name);
		exit(1);
	}
	lab_detach(lab);
	*wall = (wall_ns() - w0) / 1e6;
	*cpu = (thread_cpu_ns() - c0) / 1e6;
}

int main(void)
{
	struct lab_geometry geo = { .rooms = ROOMS, .corridors = 1 };
	double wall[2][GUARD_TRIES], cpu[2][GUARD_TRIES], pick[2][2];
	bool clean[GUARD_TRIES];
	int reps = 0, good = 0;
	int err;

	snprintf(name, sizeof(name), "bench-open-%d", getpid());
	err = lab_create_extents(name, &geo, EXTENT, LAB_NOGROUP);
	if (err) {
		fprintf(stderr, "bench_open: create: %s\n", lab_strerror(err));
		return 1;
	}
	while (guard_more(good, reps)) {
		bool quiet = guard_wait_quiet();
		struct guard_snap a, b;

		guard_snap(&a);
		one(false, &wall[1][reps], &cpu[1][reps]);
		one(true, &wall[0][reps], &cpu[0][reps]);
		guard_snap(&b);
		clean[reps] = quiet && guard_others(&a, &b) < 0.2;
		good += clean[reps++];
	}
	lab_destroy(name);
	for (int r = 0; r < 2; r++) {
		pick[r][0] = guard_pick(wall[r], clean, reps);
		pick[r][1] = guard_pick(cpu[r], clean, reps);
	}
	printf("# %u rooms (%u MiB) in extents of %u MiB; %d repetitions, %d clean\n",
	       ROOMS, ROOMS / 256, EXTENT / 256, reps, good);
	printf("BENCH see.open.reader.wall %.3f ms\n", pick[0][0]);
	printf("BENCH see.open.reader.cpu %.3f ms\n", pick[0][1]);
	printf("BENCH see.open.monitor.wall %.3f ms\n", pick[1][0]);
	printf("BENCH see.open.monitor.cpu %.3f ms\n", pick[1][1]);
	printf("BENCH see.open.reader_over_monitor.cpu %.4f x\n", pick[0][1] / pick[1][1]);
	guard_note("see.open", good, reps);
	guard_verdict();
	return 0;
}
