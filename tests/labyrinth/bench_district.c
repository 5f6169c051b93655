// SPDX-License-Identifier: MIT
/*
 * bench_district.c - a district claimed and released whole against the
 * same 512 rooms claimed and released one by one, in batches of 64 (the
 * control), in the same run and on the same kind of labyrinth.  Prints
 * `BENCH name value unit`, ns per 512 rooms (one district, claimed and
 * released), medians of clean repetitions (bench_guard.h), and the ratio.
 *   (none)     metadata only (ring_lab_new: no pool, nothing to zero):
 *              what the allocator costs
 *   .zeroed    a private labyrinth with its pool (lab_create_private):
 *              every room zeroed before it is claimed again, by the
 *              claimer (dirty rooms of its district, or its reuse ring)
 */
#include <stdio.h>

#include "bench_guard.h"
#include "bench_ring.h"
#include "labyrinth_host.h"

#define POOL_ROOMS	(64u * LAB_DISTRICT_ROOMS)	/* 128 MiB */
#define BATCH		64u
#define OPS_META	20000
#define OPS_ZEROED	400

typedef bool (*op_fn)(struct lab_cursor *cur);

/* One district claimed whole, then released whole. */
static bool district_op(struct lab_cursor *cur)
{
	uint32_t d;

	return lab_claim_districts(cur, LAB_GFP_NORMAL, 0, 1, &d, NULL) == 1 &&
	       lab_release_districts(cur, &d, 1) == 0;
}

/* 512 rooms claimed in batches of 64, then released in batches of 64. */
static bool rooms512_op(struct lab_cursor *cur)
{
	uint32_t rooms[LAB_DISTRICT_ROOMS];

	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i += BATCH)
		if (lab_claim(cur, LAB_GFP_NORMAL, 0, BATCH, rooms + i) != BATCH)
			return false;
	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i += BATCH)
		if (lab_release(cur, rooms + i, BATCH))
			return false;
	return true;
}

/* ns per op of @ops ops; CPU time to *@cpu; < 0 when an op failed. */
static double run(struct labyrinth *m, op_fn op, int ops, double *cpu)
{
	struct lab_cursor cur;
	double t0, c0, ns;

	lab_cursor_init(&cur, m, 1);
	t0 = wall_ns();
	c0 = thread_cpu_ns();
	for (int i = 0; i < ops; i++)
		if (!op(&cur))
			return -1;
	ns = (wall_ns() - t0) / ops;
	*cpu = (thread_cpu_ns() - c0) / ops;
	lab_cursor_park(&cur);
	return ns;
}

/* The two figures, measured alternately in each repetition. */
static void figures(struct labyrinth *m, const char *suffix, int ops)
{
	static const struct { const char *name; op_fn op; } ways[2] = {
		{ "labyrinth.district.claim_release", district_op },
		{ "labyrinth.district.rooms512.claim_release", rooms512_op },
	};
	double ns[2][GUARD_TRIES], cpu[2][GUARD_TRIES], med[2];
	bool ok[GUARD_TRIES];
	int clean = 0, reps = 0;
	char name[96];

	for (; guard_more(clean, reps); reps++) {
		struct guard_rep g = { .quiet_before = guard_wait_quiet(), .min_share = 1 };
		struct guard_snap s0, s1;

		guard_snap(&s0);
		for (int w = 0; w < 2; w++) {
			ns[w][reps] = run(m, ways[w].op, ops, &cpu[w][reps]);
			if (ns[w][reps] < 0) {
				printf("# %s%s: a claim failed\n", ways[w].name, suffix);
				return;
			}
			if (cpu[w][reps] / ns[w][reps] < g.min_share)
				g.min_share = cpu[w][reps] / ns[w][reps];
		}
		guard_snap(&s1);
		g.others = guard_others(&s0, &s1);
		ok[reps] = guard_clean(&g);
		clean += ok[reps];
	}
	for (int w = 0; w < 2; w++) {
		snprintf(name, sizeof(name), "%s%s", ways[w].name, suffix);
		guard_note(name, clean, reps);
		med[w] = guard_pick(ns[w], ok, reps);
		printf("BENCH %s %.1f ns\n", name, med[w]);
		printf("BENCH %s.cpu %.1f ns\n", name, guard_pick(cpu[w], ok, reps));
	}
	printf("BENCH labyrinth.district.rooms512_over_district%s %.2f x\n", suffix,
	       med[1] / med[0]);
}

int main(void)
{
	struct lab_geometry geo = { POOL_ROOMS, 1, 0 };
	struct labyrinth *m = ring_lab_new(POOL_ROOMS);

	setvbuf(stdout, NULL, _IOLBF, 0);
	figures(m, "", OPS_META);
	ring_lab_free(m);
	if (lab_create_private(&geo, &m) == 0) {
		figures(m, ".zeroed", OPS_ZEROED);
		lab_detach(m);
	}
	guard_verdict();
	return 0;
}
