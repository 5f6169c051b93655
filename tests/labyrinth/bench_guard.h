/* SPDX-License-Identifier: MIT */
/*
 * bench_guard.h - benchmarks a busy machine cannot fool.  Each repetition
 * first waits (bounded) until other processes use little CPU; each
 * measured thread reports its CPU time beside its wall time, and a
 * repetition whose threads did not have their CPUs to themselves, or
 * during which others ran, is not clean.  Figures are medians of the
 * clean repetitions; when too few are clean the figure is printed anyway,
 * marked, and the run says the machine was too busy to judge.
 */
#ifndef LAB_BENCH_GUARD_H
#define LAB_BENCH_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "test_clock.h"

#define GUARD_REPS	5	/* clean repetitions wanted per figure */
#define GUARD_TRIES	9	/* repetitions at most */

/* CPU used by every process but this one, in CPUs, over an interval. */
struct guard_snap {
	uint64_t busy, own;	/* clock ticks */
	double ns;
};
void guard_snap(struct guard_snap *s);
double guard_others(const struct guard_snap *a, const struct guard_snap *b);

/* Wait up to a bound for the others to go quiet; false if they did not. */
bool guard_wait_quiet(void);

/* A repetition: what each measured thread saw. */
struct guard_rep {
	bool quiet_before;
	double others;		/* CPUs the others used during it */
	double min_share;	/* lowest cpu / wall of its threads */
};
bool guard_clean(const struct guard_rep *r);

/* Median of the clean repetitions' values if there are GUARD_REPS of
 * them, else of every repetition's. */
double guard_pick(const double *v, const bool *clean, int reps);
/* Repetitions still to run, given @clean of @reps so far. */
bool guard_more(int clean, int reps);

/* Counts busy figures; guard_verdict() prints the run's verdict. */
void guard_note(const char *name, int clean, int reps);
void guard_verdict(void);

#endif
