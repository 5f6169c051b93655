// SPDX-License-Identifier: MIT
/*
 * bench_churn.c - the steady-state churn of churn.h for every cell: modes
 * release, worker and claimer; batches of 1 and 64; rings of 1 and 32;
 * fills 0, 50, 95 and 99 %; 1 and 2 threads; 2^16 rooms with a pool.
 * Prints, per cell, `BENCH churn.MODE.bB.rR.fF.tT.FIGURE VALUE UNIT`:
 *   wall, cpu, worker_cpu, total_cpu, release   ns per room (release:
 *       the guest's time inside lab_release, an empty bracket's cost
 *       included: churn.release_bracket)
 *   zeroed_at_release, zeroed_by_worker, zeroed_by_claimer   % of rooms
 *   dirty_claims   rooms handed out not zero (must be 0)
 *   refused   claims that got nothing while rooms were free or dirty,
 *       made again (must be 0: the false "no exit")
 *   control_wall, t2_vs_control (two threads)   the private halls' wall
 *       time per room, and their wall over ours: 1 scales as they do
 * and per cell of the deferred modes, against zeroing at release in the
 * same (batch, ring, fill, threads): total_cpu_vs_release and
 * release_vs_release (x).  Arguments: substrings of the cell names to
 * run (default: all), e.g. `bench_churn worker.b1.r1 .t2`.
 */
#include <stdio.h>

#include "bench_guard.h"
#include "churn.h"

#define ROOMS	(1u << 16)

static const unsigned int batches[] = { 1, 64 }, rings[] = { 1, 32 };
static const unsigned int fills[] = { 0, 50, 95, 99 };

static void print(const char *name, const struct churn_cell *c,
		  const struct churn_figures *f, const struct churn_figures *at_release)
{
	printf("BENCH churn.%s.wall %.2f ns\n", name, f->wall);
	printf("BENCH churn.%s.cpu %.2f ns\n", name, f->cpu);
	printf("BENCH churn.%s.worker_cpu %.2f ns\n", name, f->worker_cpu);
	printf("BENCH churn.%s.total_cpu %.2f ns\n", name, f->total_cpu);
	printf("BENCH churn.%s.release %.2f ns\n", name, f->release);
	printf("BENCH churn.%s.zeroed_at_release %.1f %%\n", name, 100 * f->by_release);
	printf("BENCH churn.%s.zeroed_by_worker %.1f %%\n", name, 100 * f->by_worker);
	printf("BENCH churn.%s.zeroed_by_claimer %.1f %%\n", name, 100 * f->by_claimer);
	printf("BENCH churn.%s.dirty_claims %ld rooms\n", name, f->dirty_claims);
	printf("BENCH churn.%s.refused %ld claims\n", name, f->refused);
	if (c->threads == 2) {
		printf("BENCH churn.%s.control_wall %.2f ns\n", name, f->control_wall);
		printf("BENCH churn.%s.t2_vs_control %.3f x\n", name,
		       f->control_wall / f->wall);
	}
	if (at_release) {
		printf("BENCH churn.%s.total_cpu_vs_release %.3f x\n", name,
		       f->total_cpu / at_release->total_cpu);
		printf("BENCH churn.%s.release_vs_release %.3f x\n", name,
		       f->release / at_release->release);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct churn_core core = CHURN_CORE("tree", );
	const struct churn_core *cores[1] = { &core };
	long dirty = 0;

	printf("# churn: %u rooms (a pool of %u MiB), claim then release; "
	       "per room claimed and released\n", ROOMS, ROOMS / 256);
	printf("BENCH churn.release_bracket %.2f ns\n", churn_bracket_ns());
	for (int t = 1; t <= 2; t++)
		for (unsigned int b = 0; b < 2; b++)
			for (unsigned int r = 0; r < 2; r++)
				for (unsigned int f = 0; f < 4; f++) {
					struct churn_figures fig[CHURN_MODES];
					bool have_release = false;

					for (int m = 0; m < CHURN_MODES; m++) {
						struct churn_cell c = { (enum churn_mode)m, batches[b],
									rings[r], fills[f], t };
						char name[64];

						churn_cell_name(&c, name, sizeof(name));
						if (!churn_wanted(name, argv + 1, argc - 1))
							continue;
						churn_measure(cores, 1, &c, ROOMS, &fig[m]);
						guard_note(name, fig[m].clean, fig[m].reps);
						print(name, &c, &fig[m],
						      m && have_release ? &fig[CHURN_RELEASE] : NULL);
						have_release |= m == CHURN_RELEASE;
						dirty += fig[m].dirty_claims + fig[m].refused;
					}
				}
	guard_verdict();
	if (dirty) {
		printf("# %ld dirty rooms were handed out or claims refused\n", dirty);
		return 1;
	}
	return 0;
}
