/* What fair sharing costs the claim path: claim+release of one room
 * through the dispatcher (a transport that lends nothing, a metadata-only
 * labyrinth of 262144 rooms, no scrub), one thread, a ring of 32 rooms:
 *   .unlimited  no limit anywhere (the limits code reads one word)
 *   .limited    this guest has a max it never reaches, and another guest a
 *               guarantee, so every claim reserves under the max and reads
 *               the others' unmet guarantees
 * Both in one run, interleaved; each repetition first waits (at most 2 s)
 * until the rest of the machine is idle, medians of 7, wall and thread CPU
 * time per operation. Target: limited at most 10 % above unlimited. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slot.h"
#include "lending.h"
#include "test_clock.h"
#include "test_median.h"

#define ROOMS	262144u
#define RING	32u
#define OPS	300000L
#define REPS	7

/* Busy CPUs (of all) over 100 ms, from /proc/stat. */
static double busy_cpus(void)
{
	unsigned long long v[2][8];
	for (int k = 0; k < 2; k++) {
		FILE *f = fopen("/proc/stat", "r");
		if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[k][0], &v[k][1],
				 &v[k][2], &v[k][3], &v[k][4], &v[k][5], &v[k][6], &v[k][7]) != 8) {
			if (f)
				fclose(f);
			return 0;
		}
		fclose(f);
		if (!k)
			usleep(100000);
	}
	double total = 0, idle = (v[1][3] + v[1][4]) - (v[0][3] + v[0][4]);
	for (int i = 0; i < 8; i++)
		total += v[1][i] - v[0][i];
	return total ? (total - idle) / total * sysconf(_SC_NPROCESSORS_ONLN) : 0;
}

/* Waits until less than half a CPU is busy; false if it never was. */
static bool settle(void)
{
	for (int i = 0; i < 20; i++)
		if (busy_cpus() < 0.5)
			return true;
	return false;
}

static struct labyrinth *lab_new(void)
{
	struct labyrinth *m = lending_labyrinth(ROOMS);

	lab_slot_fill(m, 0, 1);		/* two leases, as two monitors would hold */
	lab_slot_fill(m, 1, 2);
	return m;
}

static void run(struct labyrinth *m, double *wall, double *cpu)
{
	static struct lending w = { .space = UINT32_MAX };
	_Atomic uint64_t *held = calloc(lab_reach_words(m), sizeof(*held));
	struct lab_guest g;
	struct lab_caller c;
	uint64_t ring[RING];
	double t0, c0;

	lab_guest_init(&g, m, &lending_nothing, &w, held);
	lab_caller_init(&c, &g, 0);
	for (uint32_t i = 0; i < RING; i++) {
		if (lending_call(&c, LAB_HC_CLAIM, 0, 1) != 1)
			abort();
		ring[i] = w.list[0];
	}
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < OPS; i++) {
		w.list[0] = ring[i % RING];
		if (lending_call(&c, LAB_HC_RELEASE, 0, 1) || lending_call(&c, LAB_HC_CLAIM, 0, 1) != 1)
			abort();
		ring[i % RING] = w.list[0];
	}
	*wall = (clock_ns(CLOCK_MONOTONIC) - t0) / OPS;
	*cpu = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / OPS;
	memcpy(w.list, ring, sizeof(ring));
	if (lending_call(&c, LAB_HC_RELEASE, 0, RING))
		abort();
	free(held);
}

int main(void)
{
	struct labyrinth *m = lab_new();
	double wall[2][REPS], cpu[2][REPS];
	bool busy = false;

	for (int r = 0; r < REPS; r++) {
		busy |= !settle();
		lab_limits_set(m, 0, LAB_UNLIMITED, 0);
		lab_limits_set(m, 1, LAB_UNLIMITED, 0);
		run(m, &wall[0][r], &cpu[0][r]);
		busy |= !settle();
		lab_limits_set(m, 0, ROOMS, 0);
		lab_limits_set(m, 1, LAB_UNLIMITED, 1000);
		run(m, &wall[1][r], &cpu[1][r]);
	}
	double u = median_of(wall[0], REPS), l = median_of(wall[1], REPS);
	printf("BENCH labyrinth.claim_release.t1.fill0.unlimited %.2f ns\n", u);
	printf("BENCH labyrinth.claim_release.t1.fill0.unlimited.cpu %.2f ns\n", median_of(cpu[0], REPS));
	printf("BENCH labyrinth.claim_release.t1.fill0.limited %.2f ns\n", l);
	printf("BENCH labyrinth.claim_release.t1.fill0.limited.cpu %.2f ns\n", median_of(cpu[1], REPS));
	printf("BENCH labyrinth.claim_release.t1.fill0.limited_over_unlimited %.3f x\n", l / u);
	if (busy)
		printf("bench_limits: the machine was busy during some repetitions: "
		       "figures are not to be judged\n");
	return 0;
}
