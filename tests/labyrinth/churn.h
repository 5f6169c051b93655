/* SPDX-License-Identifier: MIT */
/*
 * churn.h - the steady state a guest that frees and allocates sees, with
 * every released room zeroed before it is claimed again: threads claim
 * then release (single rooms or batches of 64, a ring of 1 or 32 of
 * them) on a labyrinth with a pool, thinned uniformly to a fill, in one
 * of three scrubbing modes:
 *   release  zeroed inside the release (LABYRINTH_SCRUB=release);
 *   worker   released rooms dirty, the background worker beside the
 *            threads (vmm/host/scrubber.c's loop: nice +10, 1 ms naps
 *            when it finds nothing), claimers zeroing what they must;
 *   claimer  released rooms dirty, no worker (LABYRINTH_SCRUB=off).
 * Per room (one claim and one release of it): wall time, the guest
 * threads' CPU, the worker's CPU, their sum, the guest's time inside
 * lab_release alone, and who zeroed each room.  Two threads run on one
 * hall and, in the same repetition, on two private halls (the control:
 * what two threads buy on this machine at all).
 *
 * The core is reached through a table of its entry points, so one run
 * can hold two versions of it (tests/labyrinth/churn_ab.c: main's and the
 * working tree's, side by side); bench_churn.c runs the one it links.
 */
#ifndef LAB_CHURN_H
#define LAB_CHURN_H

#include <stdbool.h>
#include <stddef.h>

#include "labyrinth.h"

struct churn_core {
	const char *name;
	size_t (*hall_size)(const struct lab_geometry *geo);
	int (*hall_format)(void *mem, const struct lab_geometry *geo);
	int (*bind)(struct labyrinth *lab, void *hall, void *pool, uint32_t guest);
	void (*cursor_init)(struct lab_cursor *cur, struct labyrinth *lab,
			    uint32_t vcpu);
	unsigned int (*claim)(struct lab_cursor *cur, unsigned int flags,
			      uint32_t corridor, unsigned int n, uint32_t *rooms);
	int (*release)(struct lab_cursor *cur, const uint32_t *rooms,
		       unsigned int n);
	unsigned int (*scrub)(struct lab_cursor *cur, unsigned int max);
	void (*park)(struct lab_cursor *cur);
	void (*census)(const struct labyrinth *lab, struct lab_census *c);
};

/* The core this program links, as a table. */
#define CHURN_CORE(NAME, P) {						\
	NAME, P##lab_hall_size, P##lab_hall_format, P##lab_bind,	\
	P##lab_cursor_init, P##lab_claim, P##lab_release, P##lab_scrub,	\
	P##lab_cursor_park, P##lab_census }

enum churn_mode { CHURN_RELEASE, CHURN_WORKER, CHURN_CLAIMER, CHURN_MODES };

struct churn_cell {
	enum churn_mode mode;
	unsigned int batch;	/* rooms a claim asks for: 1 or 64 */
	unsigned int ring;	/* batches a thread holds: 1 or 32 */
	unsigned int fill;	/* % of the rooms claimed, the rings' included */
	int threads;		/* 1 or 2 */
};

/* Figures of one cell, per room claimed and released, medians. */
struct churn_figures {
	double wall, cpu, worker_cpu, total_cpu, release;
	double by_release, by_worker, by_claimer;	/* shares of the zeroing */
	double control_wall;	/* two threads: the private halls' */
	long dirty_claims;	/* rooms claimed not zero (must be 0) */
	long refused;		/* claims that got nothing, rooms free or dirty */
	int clean, reps;	/* repetitions the guard found clean */
};

extern const char *const churn_mode_names[CHURN_MODES];

/* Name of @c, e.g. "worker.b64.r32.f99.t2". */
void churn_cell_name(const struct churn_cell *c, char *buf, size_t len);
/* Whether cell @name is among @n substrings @pick (all with none). */
bool churn_wanted(const char *name, char *const *pick, int n);

/*
 * Measure @c for each of the @n cores, their repetitions in turns (which
 * core first alternates), so drift falls on all; @rooms in the hall.
 */
void churn_measure(const struct churn_core *const *cores, int n,
		   const struct churn_cell *c, uint32_t rooms,
		   struct churn_figures *out);

/* ns of the empty bracket in each release figure. */
double churn_bracket_ns(void);

#endif
