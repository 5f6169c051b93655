// SPDX-License-Identifier: MIT
/*
 * budget.c - a claim takes its rooms out of the free count before it
 * takes them from the maps, in one atomic step that also says whether the
 * floors allow them: the reserve (GFP_NORMAL leaves it) and the other
 * guests' unmet guarantees (nobody takes them).  Reading the count and
 * lowering it later, as claims once did, let vCPUs claiming at once each
 * see the same rooms above a floor and all take them: 512 rooms of
 * another guest's min with 4 vCPUs, the whole reserve with 16.
 *
 * What keeps this off the common path: a cursor's budget (cur->delta).
 * Rooms it released, and rooms it took from the count and has not claimed
 * yet, are real free rooms that the count does not show, so using them
 * needs no atomic step; it is allowed when the count alone is above the
 * claim's floor: then whatever the cursor takes from its own budget, the
 * rooms left free (the count plus every cursor's budget, at least the
 * count) are still above it.  Otherwise the cursor hands its budget back
 * to the count and takes from it, exactly.  A budget is at most
 * PUBLISH_BATCH of released rooms (claim.c) plus REFILL taken ahead, so
 * the count understates what is free by that much per busy cursor: a
 * claim near a floor may be refused a little early, never let past it.
 */
#include "hall.h"

/* Taken ahead when no guarantee is in play, so a run of claims takes from
 * the count once per REFILL rooms, not once per claim. */
#define REFILL	32

/* Of @ask rooms, how many a count of @before allows: the first @own
 * (the claimer's unmet min) down to the others' unmet mins, the rest
 * down to those and @reserve too. */
static int64_t budget_allowed(int64_t before, int64_t ask, const struct lab_floor *f,
			      int64_t reserve)
{
	int64_t room = before - (int64_t)f->others;
	int64_t kept = (int64_t)f->own < room ? (int64_t)f->own : room;
	int64_t past = room - reserve;
	int64_t k = past > kept ? past : kept;

	return k < 0 ? 0 : k > ask ? ask : k;
}

unsigned int budget_take(struct lab_cursor *cur, unsigned int flags, unsigned int n,
			 const struct lab_floor *f)
{
	struct lab_hall *h = cur->lab->hall;
	int64_t reserve = (flags & LAB_GFP_ATOMIC) ? 0 : h->reserve;
	int64_t ask = n, before, take;
	uint32_t guest = lab_owner_guest(cur->owner);

	if (cur->borrowed)
		return n;
	if (cur->delta >= (int32_t)n &&
	    atomic_load_explicit(&h->free, memory_order_relaxed) >=
		    (int64_t)f->others + reserve)
		return n;
	cursor_publish(cur);
	if (!f->others && !f->own)
		ask += REFILL;
	before = count_take(h, guest, ask);
	take = budget_allowed(before, ask, f, reserve);
	if (take < ask)
		count_publish(h, guest, ask - take);
	cur->delta = (int32_t)take;
	return take < n ? (unsigned int)take : n;
}
