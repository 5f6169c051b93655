/* SPDX-License-Identifier: MIT */
/*
 * claim.h - claiming rooms (claim.c), above the districts, the budget and
 * the reuse of released rooms.  Prefix lab_claim_ (and the page lock).
 */
#ifndef LAB_CLAIM_H
#define LAB_CLAIM_H

#include "handle.h"

/* Claim up to @need rooms from the district the cursor holds. */
unsigned int lab_claim_district(struct lab_cur *cur, unsigned int need,
				uint32_t *rooms);
/* Give back rooms this cursor claimed and nobody saw (no scrub). */
void lab_claim_undo(struct lab_cur *cur, const uint32_t *rooms, unsigned int n);

/* For the host library, which takes and drops leases: the handle now holds
 * lease @guest (LAB_NONE: none), and its page cursor claims for it. */
void lab_claim_page_lease(struct labyrinth *lab, uint32_t guest);
/* The page cursor gives back its district and rooms kept for reuse. */
void lab_claim_page_park(struct labyrinth *lab);

/*
 * The page entry points (the seed's pair) share one cursor per handle; it is held for one
 * claim or release, never across a sleep, so spinning is fine.
 */
static inline void lab_page_lock(struct labyrinth *lab)
{
	while (atomic_flag_test_and_set_explicit(&lab->page_busy,
						 memory_order_acquire)) {
#if defined(__x86_64__) || defined(__i386__)
		__asm__ volatile("pause");
#endif
	}
}

static inline void lab_page_unlock(struct labyrinth *lab)
{
	atomic_flag_clear_explicit(&lab->page_busy, memory_order_release);
}

#endif /* LAB_CLAIM_H */
