// SPDX-License-Identifier: MIT
/*
 * budget.c - a claim takes its rooms out of the free count before it
 * takes them from the maps, in one atomic step that also says whether the
 * floors allow them: the reserve (GFP_NORMAL leaves it) and the other
 * guests' unmet guarantees (nobody takes them).  Reading the count and
 * lowering it later, as claims once did, let vCPUs claiming at once each
 * see the same rooms above a floor and all take them: another guest's
 * min, or the reserve, went that way.
 *
 * The step costs what publishing a claim to the count cost before, and a
 * cursor mostly does without it: its budget (cur->delta), the rooms it
 * released and has not given back yet, are real free rooms the count does
 * not show, so it may claim them without the step when the count alone is
 * above the claim's floor: then the rooms left free (the count plus every
 * cursor's budget, at least the count) are still above it.  Otherwise the
 * cursor hands its budget back to the count and takes from it, exactly.
 * A budget is at most LAB_COUNT_BATCH rooms (count.h), kept across a
 * dispatcher's calls until its caller stops, so the count understates
 * what is free by that much per vCPU: a claim near a floor may be refused
 * a little early, never let past it.
 */
#include "budget.h"

/* Of @n rooms, how many a count of @before allows: the first @own (the
 * claimer's unmet min) down to the others' unmet mins, the rest down to
 * those and @reserve too. */
static int64_t budget_allowed(int64_t before, int64_t n, const struct lab_floor *f,
			      int64_t reserve)
{
	int64_t room = before - (int64_t)f->others;
	int64_t kept = (int64_t)f->own < room ? (int64_t)f->own : room;
	int64_t past = room - reserve;
	int64_t k = past > kept ? past : kept;

	return k < 0 ? 0 : k > n ? n : k;
}

unsigned int lab_budget_take(struct lab_cur *cur, unsigned int flags, unsigned int n,
			 const struct lab_floor *f)
{
	struct lab_hall *h = cur->lab->hall;
	int64_t reserve = (flags & LAB_GFP_ATOMIC) ? 0 : h->reserve;
	uint32_t guest = lab_owner_guest(cur->owner);
	int64_t take;

	if (cur->borrowed)
		return n;
	if (cur->delta >= (int32_t)n &&
	    atomic_load_explicit(&h->free, memory_order_relaxed) >=
		    (int64_t)f->others + reserve)
		return n;	/* its own released rooms, above the floor */
	if (cur->delta)
		lab_count_flush(cur);
	take = budget_allowed(lab_count_take(h, guest, n), n, f, reserve);
	if (take < n)
		lab_count_publish(h, guest, n - take);
	cur->delta = (int32_t)take;
	return (unsigned int)take;
}
