// SPDX-License-Identifier: MIT
/*
 * churn_ab.c - the churn of tests/labyrinth/churn.h for the labyrinth's
 * core of two versions in one process (core_ab.sh builds them with their
 * symbols prefixed a_ and b_: BASE and the working tree): their
 * repetitions in turns, so the machine's drift falls on both.  Per cell
 * and version `BENCH churn_ab.CELL.VERSION.FIGURE`, the ratios tree/base
 * of wall and total CPU, and the table of both side by side (# lines).
 * Cells: every mode, batches of 1 and 64, rings of 1 and 32, fills 0 and
 * 99 %, 1 and 2 threads; arguments: substrings of the cell names to run.
 * usage: churn_ab BASE_NAME TREE_NAME [CELL...]
 */
#include <stdio.h>

#include "bench_guard.h"
#include "churn.h"

#define ROOMS	(1u << 16)

#define VERSION(P)								\
size_t P##lab_hall_size(const struct lab_geometry *geo);			\
int P##lab_hall_format(void *mem, const struct lab_geometry *geo);		\
int P##lab_bind(struct labyrinth *lab, void *hall, void *pool, uint32_t g);	\
void P##lab_cursor_init(struct lab_cursor *cur, struct labyrinth *lab,		\
			uint32_t vcpu);						\
unsigned int P##lab_claim(struct lab_cursor *cur, unsigned int flags,		\
			  uint32_t corridor, unsigned int n, uint32_t *rooms);	\
int P##lab_release(struct lab_cursor *cur, const uint32_t *rooms,		\
		   unsigned int n);						\
unsigned int P##lab_scrub(struct lab_cursor *cur, unsigned int max);		\
void P##lab_cursor_park(struct lab_cursor *cur);				\
void P##lab_census(const struct labyrinth *lab, struct lab_census *c);

VERSION(a_)
VERSION(b_)

static const unsigned int batches[] = { 1, 64 }, rings[] = { 1, 32 };
static const unsigned int fills[] = { 0, 99 };

struct row {
	char name[48];
	struct churn_figures f[2];
};

int main(int argc, char **argv)
{
	struct churn_core a = CHURN_CORE(argc > 2 ? argv[1] : "a", a_);
	struct churn_core b = CHURN_CORE(argc > 2 ? argv[2] : "b", b_);
	const struct churn_core *cores[2] = { &a, &b };
	static struct row rows[64];
	int n = 0;

	for (int t = 1; t <= 2; t++)
		for (unsigned int bi = 0; bi < 2; bi++)
			for (unsigned int r = 0; r < 2; r++)
				for (unsigned int fi = 0; fi < 2; fi++)
					for (int m = 0; m < CHURN_MODES; m++) {
						struct churn_cell c = { (enum churn_mode)m, batches[bi],
									rings[r], fills[fi], t };
						struct row *w = &rows[n];

						churn_cell_name(&c, w->name, sizeof(w->name));
						if (!churn_wanted(w->name, argv + 3, argc > 3 ? argc - 3 : 0))
							continue;
						churn_measure(cores, 2, &c, ROOMS, w->f);
						guard_note(w->name, w->f[0].clean, w->f[0].reps);
						for (int v = 0; v < 2; v++) {
							const struct churn_figures *f = &w->f[v];
							const char *ver = cores[v]->name;

							printf("BENCH churn_ab.%s.%s.wall %.2f ns\n", w->name, ver, f->wall);
							printf("BENCH churn_ab.%s.%s.total_cpu %.2f ns\n", w->name, ver, f->total_cpu);
							printf("BENCH churn_ab.%s.%s.worker_cpu %.2f ns\n", w->name, ver, f->worker_cpu);
							printf("BENCH churn_ab.%s.%s.release %.2f ns\n", w->name, ver, f->release);
							printf("BENCH churn_ab.%s.%s.zeroed_by_worker %.1f %%\n", w->name, ver, 100 * f->by_worker);
							printf("BENCH churn_ab.%s.%s.dirty_claims %ld rooms\n", w->name, ver, f->dirty_claims);
							printf("BENCH churn_ab.%s.%s.refused %ld claims\n", w->name, ver, f->refused);
							if (t == 2)
								printf("BENCH churn_ab.%s.%s.t2_vs_control %.3f x\n", w->name, ver,
								       f->control_wall / f->wall);
						}
						printf("BENCH churn_ab.%s.wall.%s_over_%s %.3f x\n", w->name, b.name, a.name,
						       w->f[1].wall / w->f[0].wall);
						printf("BENCH churn_ab.%s.total_cpu.%s_over_%s %.3f x\n", w->name, b.name,
						       a.name, w->f[1].total_cpu / w->f[0].total_cpu);
						fflush(stdout);
						n++;
					}
	printf("#\n# ns per room claimed and released (%s | %s), medians; "
	       "t2: wall over both threads, and the private halls' wall over it\n",
	       a.name, b.name);
	printf("# | cell | wall | total CPU (guest + worker) | worker CPU | release alone | zeroed by worker %% | refused | t2 vs control |\n");
	printf("# |---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < n; i++) {
		const struct churn_figures *x = &rows[i].f[0], *y = &rows[i].f[1];

		printf("# | %s | %.1f \u2192 %.1f | %.1f \u2192 %.1f | %.1f \u2192 %.1f | %.1f \u2192 %.1f | %.0f \u2192 %.0f |",
		       rows[i].name, x->wall, y->wall, x->total_cpu, y->total_cpu,
		       x->worker_cpu, y->worker_cpu, x->release, y->release,
		       100 * x->by_worker, 100 * y->by_worker);
		printf(" %ld \u2192 %ld |", x->refused, y->refused);
		if (x->control_wall > 0)
			printf(" %.2f \u2192 %.2f |\n", x->control_wall / x->wall,
			       y->control_wall / y->wall);
		else
			printf(" |\n");
	}
	guard_verdict();
	return 0;
}
