/* SPDX-License-Identifier: MIT */
/*
 * bench_ring.h - the claim path's workload: a labyrinth filled to a given
 * fill by uniform thinning (every district equally full, the hard layout
 * for it), and threads that each hold a ring of batches: one operation
 * releases the oldest batch and claims a new one in its place, so the
 * fill stays put.  Metadata only (no pool): the allocator, not memory
 * bandwidth.
 */
#ifndef LAB_BENCH_RING_H
#define LAB_BENCH_RING_H

#include <stdint.h>

#include "labyrinth.h"

#define RING_MIN_ROOMS	32u	/* a ring holds max(32 rooms, 8 batches) */
#define RING_BATCHES	8u

struct labyrinth *ring_lab_new(uint32_t rooms);
void ring_lab_free(struct labyrinth *m);
/* Rooms a ring of @batch-room batches holds. */
uint32_t ring_rooms(unsigned int batch);
/* Claim all, then free a random set: @pct % claimed once @held rooms
 * (the rings about to be taken) are claimed as well. */
void ring_fill(struct labyrinth *m, unsigned int pct, uint32_t held);

struct ring_run {
	struct labyrinth *m;
	uint32_t vcpu;
	unsigned int batch;
	long ops;
	double wall_ns, cpu_ns;	/* of the timed loop, this thread's */
	/* Where the ring's last batches lie: map words and districts per
	 * batch (a claim or a release makes one atomic RMW per word). */
	double words, districts;
};

/* Run @n threads at once (a barrier starts their loops together). */
void ring_go(struct ring_run *r, int n);

/* ns of one atomic RMW (lock or) on a line in the L1 cache, back to back:
 * the unit of the claim path's cost at high fill. */
double ring_rmw_ns(void);

#endif
