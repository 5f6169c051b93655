// SPDX-License-Identifier: MIT
/*
 * bench_guard.c - see bench_guard.h.  Other processes' CPU comes from
 * /proc/stat (every CPU's busy ticks) minus /proc/self/stat (ours): coarse
 * (10 ms ticks), so it judges the quiet before a repetition and long runs;
 * what catches a short disturbance is each thread's CPU time against its
 * wall time (a thread that lost its CPU for a while shows it exactly).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_guard.h"
#include "test_median.h"

#define QUIET_CPUS	0.15	/* others below this count as quiet */
#define NOISY_CPUS	0.30	/* others above this during a run spoil it */
#define MIN_SHARE	0.95	/* a thread must run this much of its wall */
#define WINDOW_NS	100e6
#define WAIT_NS		3e9

static int figures, busy_figures;
/* Spoiled repetitions since the last figure, by cause: others ran, or a
 * thread lost its CPU while no other process used one (the host took it:
 * on this machine, e.g., its memory monitor stopping the vCPUs). */
static int spoiled_by_others, spoiled_by_host;
static bool host_figures;

static uint64_t busy_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			 &v[7]) != 8)
		v[0] = 0;
	if (f)
		fclose(f);
	/* user nice system [idle iowait] irq softirq steal */
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

static uint64_t own_ticks(void)
{
	unsigned long long ut = 0, st = 0;
	FILE *f = fopen("/proc/self/stat", "r");

	/* After the command's ")" : state, then 10 fields, then utime stime. */
	if (f && fscanf(f, "%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			&ut, &st) != 2)
		ut = st = 0;
	if (f)
		fclose(f);
	return ut + st;
}

void guard_snap(struct guard_snap *s)
{
	s->busy = busy_ticks();
	s->own = own_ticks();
	s->ns = wall_ns();
}

double guard_others(const struct guard_snap *a, const struct guard_snap *b)
{
	double ticks = (double)(b->busy - a->busy) - (double)(b->own - a->own);
	double secs = (b->ns - a->ns) / 1e9;

	if (secs <= 0 || ticks < 0)
		return 0;
	return ticks / (double)sysconf(_SC_CLK_TCK) / secs;
}

bool guard_wait_quiet(void)
{
	double end = wall_ns() + WAIT_NS;
	struct timespec nap = { 0, (long)WINDOW_NS };

	do {
		struct guard_snap a, b;

		guard_snap(&a);
		nanosleep(&nap, NULL);
		guard_snap(&b);
		if (guard_others(&a, &b) < QUIET_CPUS)
			return true;
	} while (wall_ns() < end);
	return false;
}

bool guard_clean(const struct guard_rep *r)
{
	if (!r->quiet_before || r->others >= NOISY_CPUS) {
		spoiled_by_others++;
		return false;
	}
	if (r->min_share < MIN_SHARE) {
		spoiled_by_host++;
		return false;
	}
	return true;
}

double guard_pick(const double *v, const bool *clean, int reps)
{
	double tmp[GUARD_TRIES];
	int n = 0, k = 0;

	for (int i = 0; i < reps; i++)
		k += clean[i];
	for (int i = 0; i < reps; i++)
		if (clean[i] || k < GUARD_REPS)
			tmp[n++] = v[i];
	return median_of(tmp, (unsigned)n);
}

bool guard_more(int clean, int reps)
{
	return reps < GUARD_TRIES && clean < GUARD_REPS;
}

void guard_note(const char *name, int clean, int reps)
{
	figures++;
	if (clean < GUARD_REPS) {
		busy_figures++;
		host_figures |= spoiled_by_host > 0;
		printf("# %s: only %d of %d repetitions clean (%d: others ran; "
		       "%d: a thread lost its CPU with no other process running)"
		       ": median of all, not to be trusted\n", name, clean,
		       reps, spoiled_by_others, spoiled_by_host);
	}
	spoiled_by_others = spoiled_by_host = 0;
}

void guard_verdict(void)
{
	printf("BENCH machine.busy_figures %d of %d\n", busy_figures, figures);
	if (busy_figures)
		printf("# the machine was too busy to judge %d of %d figures "
		       "(other processes used the CPUs%s)\n", busy_figures,
		       figures, host_figures ? ", or the host took them" : "");
	else
		printf("# the machine was quiet enough for every figure\n");
}
