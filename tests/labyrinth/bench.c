// SPDX-License-Identifier: MIT
/*
 * bench.c - the claim path at any size, any fill and two threads.
 * Prints `BENCH name value unit`; `#` lines are for people.
 *
 * One operation = release the oldest batch of the thread's ring and claim
 * a new batch (bench_ring.h), on a labyrinth thinned uniformly to the
 * fill.  Figures are ns per room (claimed and released), medians of clean
 * repetitions (bench_guard.h), wall time and thread CPU time side by side.
 * Arguments: none for everything; s, m or l for the scale, the matrix or
 * the large matrix alone; c FILL BATCH [SHIFT] for one cell.
 *   scale      one thread at 99 % fill, 2^16 .. 2^22 rooms: cost must not
 *              grow with the pool (r22_over_r16).  Measured side by side
 *              (side_by_side()), as is fill99_over_fill0.  With batches of
 *              64 the ring's 512 rooms are 0.8 % of 2^16 rooms, which
 *              spreads what a thread cycles through over more rooms than
 *              at 2^22 (8 districts a batch against 15): .batch64's ratio
 *              compares spreads as much as sizes.
 *   t1, t2     one thread, then two threads on one hall (t2 is wall time
 *              over both threads' rooms: throughput), at 0/50/95/99 %
 *              fill, batches of 1 and 64.
 *   control    the same two threads on two private halls, measured in the
 *              same repetition: what two threads buy on this machine at
 *              all.  Each private hall is filled as the shared one is
 *              (free rooms for both rings), so the two differ only by
 *              sharing.  labyrinth.t2_vs_control is the labyrinth's
 *              two-thread speedup over the control's.
 *   .r22       t1, t2 and control again on 2^22 rooms (the matrix is on
 *              2^18): the figures ending in .r22.
 *   spread     where one thread's batches lie (map words and districts
 *              per batch), and the cost of one atomic RMW on this machine:
 *              together they say how much of fill99_over_fill0 no claim
 *              path with a word per 64 rooms can avoid (rmw_floor).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_guard.h"
#include "test_median.h"
#include "bench_ring.h"

#define MATRIX_SHIFT	18u
#define MATRIX_ROOMS	(1u << MATRIX_SHIFT)
#define LARGE_ROOMS	(1u << 22)
#define ROOM_OPS	1500000l	/* rooms per thread per run */

static const unsigned int fills[] = { 0, 50, 95, 99 };
static const unsigned int batches[] = { 1, 64 };

static long ops_for(unsigned int batch)
{
	return ROOM_OPS / batch;
}

/* ns per room of a run of @n threads: wall (throughput) and CPU. */
static double run_ns(const struct ring_run *r, int n, double *cpu,
		     double *share)
{
	double wall = 0, cpus = 0, rooms = (double)r[0].ops * r[0].batch * n;

	for (int i = 0; i < n; i++) {
		double s = r[i].cpu_ns / r[i].wall_ns;

		wall = r[i].wall_ns > wall ? r[i].wall_ns : wall;
		cpus += r[i].cpu_ns;
		*share = s < *share ? s : *share;
	}
	*cpu = cpus / rooms;
	return wall / rooms;
}

/* Fill @m for @threads rings and run them on it (or on @m and @m2). */
static double measure(struct labyrinth *m, struct labyrinth *m2,
		      unsigned int fill, unsigned int batch, int threads,
		      bool refill, double *cpu, double *share,
		      struct ring_run *first)
{
	struct ring_run r[2];
	/* Private halls are filled as the shared one is, for both rings: the
	 * same layout, so the control differs from t2 only by sharing (the
	 * cost at a fill depends on where its free rooms lie). */
	uint32_t held = ring_rooms(batch) * (uint32_t)threads;

	if (refill) {
		ring_fill(m, fill, held);
		if (m2)
			ring_fill(m2, fill, held);
	}
	for (int i = 0; i < threads; i++)
		r[i] = (struct ring_run){ .m = i && m2 ? m2 : m, .vcpu = (uint32_t)i,
					  .batch = batch, .ops = ops_for(batch) };
	ring_go(r, threads);
	if (first)
		*first = r[0];
	return run_ns(r, threads, cpu, share);
}

enum { T1, T1_CPU, T2, T2_CPU, TP, TP_CPU, SPEEDUP, CONTROL, VERSUS,
       WORDS, DISTRICTS, NFIG };

static const char *const fig_name[NFIG] = {
	"labyrinth.t1", "labyrinth.t1", "labyrinth.t2", "labyrinth.t2",
	"control.private_halls.t2", "control.private_halls.t2",
	"labyrinth.t2_speedup", "control.private_halls.t2_speedup",
	"labyrinth.t2_vs_control", "labyrinth.t1", "labyrinth.t1",
};
static const char *const fig_suffix[NFIG] = {
	"", ".cpu", "", ".cpu", "", ".cpu", "", "", "", ".map_words",
	".districts",
};
static const char *const fig_unit[NFIG] = {
	"ns", "ns", "ns", "ns", "ns", "ns", "x", "x", "x", "per_batch",
	"per_batch",
};

/* One cell of the matrix on a pool of @rooms, named with @size (empty
 * for MATRIX_ROOMS); leaves its median figures in @out. */
static void cell(unsigned int fill, unsigned int batch, double out[NFIG],
		 uint32_t rooms, const char *size)
{
	struct labyrinth *a = ring_lab_new(rooms);
	struct labyrinth *b = ring_lab_new(rooms);
	double fig[NFIG][GUARD_TRIES];
	bool ok[GUARD_TRIES];
	int clean = 0, reps = 0;
	char name[96];

	for (; guard_more(clean, reps); reps++) {
		struct guard_rep g = { .quiet_before = guard_wait_quiet(),
				       .min_share = 1 };
		struct guard_snap s0, s1;
		double *v[NFIG];

		for (int f = 0; f < NFIG; f++)
			v[f] = &fig[f][reps];
		guard_snap(&s0);
		struct ring_run one;

		*v[T1] = measure(a, NULL, fill, batch, 1, true, v[T1_CPU],
				 &g.min_share, &one);
		*v[TP] = measure(a, b, fill, batch, 2, true, v[TP_CPU],
				 &g.min_share, NULL);
		*v[T2] = measure(a, NULL, fill, batch, 2, true, v[T2_CPU],
				 &g.min_share, NULL);
		*v[WORDS] = one.words;
		*v[DISTRICTS] = one.districts;
		guard_snap(&s1);
		g.others = guard_others(&s0, &s1);
		*v[SPEEDUP] = *v[T1] / *v[T2];
		*v[CONTROL] = *v[T1] / *v[TP];
		*v[VERSUS] = *v[TP] / *v[T2];
		ok[reps] = guard_clean(&g);
		clean += ok[reps];
	}
	snprintf(name, sizeof(name), "labyrinth.t2.fill%u.batch%u%s", fill,
		 batch, size);
	guard_note(name, clean, reps);
	for (int f = 0; f < NFIG; f++) {
		out[f] = guard_pick(fig[f], ok, reps);
		printf("BENCH %s.fill%u.batch%u%s%s %.2f %s\n", fig_name[f], fill,
		       batch, size, fig_suffix[f], out[f], fig_unit[f]);
	}
	ring_lab_free(a);
	ring_lab_free(b);
}

static double rmw_ns(void)
{
	double v[GUARD_REPS];

	for (int i = 0; i < GUARD_REPS; i++) {
		guard_wait_quiet();
		v[i] = ring_rmw_ns();
	}
	return median_of(v, GUARD_REPS);
}

/*
 * What the atomic RMWs alone make of fill99_over_fill0 for batches.  Per
 * batch a claim makes one RMW per map word the batch spans; each district
 * it empties and leaves costs three more (the holder's CAS, the hint's
 * clear as it leaves, the hint's set by the first release back); a release
 * makes one per room at every fill.  Fill 0's measured cost plus the RMWs
 * fill 99 adds, over fill 0's cost: what this layout (a map word per 64
 * rooms, a district held per claimer) cannot get below, however the rest
 * is tuned.
 */
static double rmw_floor(const double *f0, const double *f99, double rmw)
{
	double extra = (f99[WORDS] - f0[WORDS]) +
		       3 * (f99[DISTRICTS] - f0[DISTRICTS]);

	return (f0[T1] + extra * rmw / batches[1]) / f0[T1];
}

/*
 * The matrix again on the largest pool (2^22 rooms, 16 GiB of rooms, a
 * 17 MB hall): two threads must scale there too, where the hall no
 * longer fits in the caches.  Fewer figures per cell would not save
 * time: filling the pool is most of it.
 */
static void matrix_large(void)
{
	double out[NFIG], worst = 0;

	for (int b = 0; b < 2; b++)
		for (int f = 0; f < 4; f++) {
			cell(fills[f], batches[b], out, LARGE_ROOMS, ".r22");
			if (worst == 0 || out[VERSUS] < worst)
				worst = out[VERSUS];
		}
	printf("BENCH labyrinth.t2_vs_control.r22.worst %.2f x\n", worst);
}

/*
 * Ratios side by side.  One thread on each of @n labyrinths in turn, in
 * every repetition, so a machine that slows down half way (another
 * machine on the same host: thread CPU time shows nothing) slows both
 * sides of a ratio alike; a ratio of figures measured a minute apart once
 * read 1.60 for 1.07.  Prints each labyrinth's median as @names[i] (and
 * its CPU time), and returns the median of the repetitions' ratios of the
 * last labyrinth's figure to the first's.
 */
static double side_by_side(struct labyrinth *const *labs, int n, unsigned int batch,
			   const char *const *names)
{
	double ns[4][GUARD_TRIES], cpu[4][GUARD_TRIES], ratio[GUARD_TRIES];
	bool ok[GUARD_TRIES];
	int clean = 0, reps = 0;

	for (; guard_more(clean, reps); reps++) {
		struct guard_rep g = { .quiet_before = guard_wait_quiet(),
				       .min_share = 1 };
		struct guard_snap s0, s1;

		guard_snap(&s0);
		for (int i = 0; i < n; i++)
			ns[i][reps] = measure(labs[i], NULL, 0, batch, 1, false,
					      &cpu[i][reps], &g.min_share, NULL);
		guard_snap(&s1);
		g.others = guard_others(&s0, &s1);
		ratio[reps] = ns[n - 1][reps] / ns[0][reps];
		ok[reps] = guard_clean(&g);
		clean += ok[reps];
	}
	guard_note(names[n - 1], clean, reps);
	for (int i = 0; i < n; i++) {
		printf("BENCH %s %.2f ns\n", names[i], guard_pick(ns[i], ok, reps));
		printf("BENCH %s.cpu %.2f ns\n", names[i], guard_pick(cpu[i], ok, reps));
	}
	return guard_pick(ratio, ok, reps);
}

/* One thread at 99 % fill on 2^16 .. 2^22 rooms, side by side. */
static void scale(void)
{
	static const unsigned int shifts[] = { 16, 18, 20, 22 };

	for (int b = 0; b < 2; b++) {
		struct labyrinth *labs[4];
		char names[4][80];
		const char *np[4];

		for (int i = 0; i < 4; i++) {
			labs[i] = ring_lab_new(1u << shifts[i]);
			ring_fill(labs[i], 99, ring_rooms(batches[b]));
			snprintf(names[i], sizeof(names[i]),
				 "labyrinth.scale.fill99.r%u.batch%u", shifts[i],
				 batches[b]);
			np[i] = names[i];
		}
		printf("BENCH labyrinth.scale.fill99.r22_over_r16%s %.2f x\n",
		       b ? ".batch64" : "", side_by_side(labs, 4, batches[b], np));
		for (int i = 0; i < 4; i++)
			ring_lab_free(labs[i]);
	}
}

/* One thread at fill 0 and at fill 99 (2^18 rooms), side by side. */
static void fill_ratio(unsigned int batch)
{
	struct labyrinth *labs[2];
	char names[2][80];
	const char *np[2];

	for (int i = 0; i < 2; i++) {
		labs[i] = ring_lab_new(MATRIX_ROOMS);
		ring_fill(labs[i], i ? 99 : 0, ring_rooms(batch));
		snprintf(names[i], sizeof(names[i]), "labyrinth.side_by_side.fill%u.batch%u",
			 i ? 99 : 0, batch);
		np[i] = names[i];
	}
	printf("BENCH labyrinth.fill99_over_fill0.batch%u %.2f x\n", batch,
	       side_by_side(labs, 2, batch, np));
	for (int i = 0; i < 2; i++)
		ring_lab_free(labs[i]);
}

static void matrix(void)
{
	double out[4][2][NFIG], control[8];
	int nc = 0;

	for (int b = 0; b < 2; b++)
		for (int f = 0; f < 4; f++) {
			cell(fills[f], batches[b], out[f][b], MATRIX_ROOMS, "");
			control[nc++] = out[f][b][CONTROL];
		}
	double rmw = rmw_ns();

	for (int b = 0; b < 2; b++)
		fill_ratio(batches[b]);
	printf("BENCH machine.atomic_rmw.l1 %.2f ns\n", rmw);
	printf("BENCH labyrinth.fill99_over_fill0.batch64.rmw_floor %.2f x\n",
	       rmw_floor(out[0][1], out[3][1], rmw));
	printf("BENCH control.private_halls.t2_speedup %.2f x\n",
	       median_of(control, nc));
}

/* Allocation state against owner records, per room (hall.h's layout). */
static void metadata(void)
{
	for (unsigned int shift = 16; shift <= 22; shift += 6) {
		struct lab_geometry geo = { 1u << shift, 1, 0 };
		double rooms = geo.rooms, owner = 4.0;
		double total = (double)lab_hall_size(&geo) / rooms;

		printf("BENCH labyrinth.meta.r%u.state_bytes_per_room %.3f B\n",
		       shift, total - owner);
		printf("BENCH labyrinth.meta.r%u.owner_bytes_per_room %.3f B\n",
		       shift, owner);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	metadata();
	if (argc < 2 || argv[1][0] == 's')
		scale();
	if (argc < 2 || argv[1][0] == 'm')
		matrix();
	if (argc < 2 || argv[1][0] == 'l')
		matrix_large();
	if (argc >= 4 && argv[1][0] == 'c') {	/* one cell, to look closer */
		unsigned int shift = argc > 4 ? (unsigned int)atoi(argv[4]) :
					    MATRIX_SHIFT;
		double out[NFIG];
		char size[16] = "";

		if (shift < 12 || shift > 24)
			return 2;
		if (shift != MATRIX_SHIFT)
			snprintf(size, sizeof(size), ".r%u", shift);
		cell((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]), out,
		     1u << shift, size);
	}
	guard_verdict();
	return 0;
}
