/* SPDX-License-Identifier: MIT */
/*
 * stress.h - the thread stress shared by the Criterion test and the plain
 * runner used under ThreadSanitizer (Criterion cannot run under TSan:
 * Snaipe/Criterion#274).
 */
#ifndef LAB_STRESS_H
#define LAB_STRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "labyrinth.h"

#define THREADS		4
#define ROOMS		(8 * 512)
#define HELD_MAX	600
#define RUN_NS		700000000ll

struct stress {
	struct labyrinth *m;
	_Atomic uint32_t shadow[ROOMS];
	_Atomic int failures;
	_Atomic long ops;
	atomic_bool done;	/* the workers are through: scrubber stops */
};

struct worker {
	struct stress *s;
	uint32_t vcpu;
	uint32_t held[HELD_MAX + LAB_HC_BATCH_MAX];
	uint32_t n;
};

void *stress_worker(void *arg);
/* Run THREADS workers on @rooms rooms; returns failures, 0 if all well. */
int stress_run(struct stress *s, uint32_t rooms);

#endif
