/*
 * The interrupt-context workload: every CPU allocates and frees pages from its
 * timer interrupt. Each tick a CPU allocates (GFP_ATOMIC) a couple of
 * pages, fills each with a pattern naming the CPU and the room, keeps up to
 * IRQALLOC_HOLD, and frees random ones after checking their pattern. A
 * bitmap indexed by room, shared by all CPUs, catches a room handed out
 * twice. Used by guest-tests.elf and labyrinth-demo.elf.
 */
#ifndef GUEST_IRQALLOC_H
#define GUEST_IRQALLOC_H

#include "types.h"

#define IRQALLOC_HOLD 16
#define IRQALLOC_PER_TICK 2

struct irqalloc_result {
	u32 cpus, cpus_ticked;	/* CPUs that ran, CPUs that allocated at least once */
	u64 allocs, frees, nulls;	/* in interrupt context */
	u64 violations;
	u64 claimed, released;	/* rooms the magazines claimed and released */
	u64 mag_allocs, mag_hits;
	u64 p50_ns, p99_ns;	/* alloc_page latency in the interrupt handler */
};

/* Runs the workload on CPUs 0..n-1 for @us, then frees everything and
 * flushes every magazine. page_alloc_init and timer_setup come first. */
void irqalloc_run(u32 n, u64 us, struct irqalloc_result *r);

#endif
