/* SPDX-License-Identifier: MIT */
/*
 * lending.h - a transport for the hypercall dispatcher that lends nothing:
 * the guest's room list is a private array, a room's guest-physical address
 * is its index times 4096, and the window holds @space rooms.  Enough for
 * the dispatcher's real path (claim, held bitmap, release, tally) without a
 * VM: see_guest and the counting benchmark use it.
 */
#ifndef TESTS_LIB_LENDING_H
#define TESTS_LIB_LENDING_H

#include "labyrinth_dispatch.h"

struct lending {
	uint64_t list[LAB_HC_BATCH_MAX];	/* the guest's room list */
	uint32_t space;				/* rooms it may still take */
};

extern const struct lab_transport lending_nothing;

/* A metadata-only labyrinth of @rooms rooms in one corridor (no pool, so
 * no scrub: what the benchmarks time is the allocator), bound as guest 0. */
struct labyrinth *lending_labyrinth(uint32_t rooms);

/* One call of the dispatcher with the guest's list. */
int64_t lending_call(struct lab_caller *c, uint32_t call, uint32_t flags,
		     uint32_t n);

#endif /* TESTS_LIB_LENDING_H */
