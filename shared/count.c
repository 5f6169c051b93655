// SPDX-License-Identifier: MIT
/*
 * count.c - the free count (hall->free): how many rooms monitors can
 * claim, an estimate for the watermarks, the reserve, the guarantees and
 * pressure.  Rooms are always found by the maps, never by the count.
 *
 * Who changes it: claims, which take their rooms out of it before they
 * claim them (budget.c), cursors giving back what they released in
 * batches of up to a district's rooms (claim.c), and the lending of
 * extents (extent.c).  Every change is also
 * added to the changer's lease (lease[g].published), so that the count
 * can be put right when g dies: a dead guest's cursors take their
 * unpublished changes with them, and what it still holds goes back to the
 * pool whether it was counted out or not.  The reaper therefore undoes
 * exactly what g published, nothing more (count_reap).  Adding back what
 * it frees instead, as it once did, counted a killed cursor's unpublished
 * claims back without their ever having been counted out: each kill made
 * the count up to a district too high, without bound, and GFP_NORMAL
 * took the reserve.
 *
 * Each change is two steps, and a process killed between them leaves
 * the two sums apart.  The steps are ordered so that such a kill can only
 * leave the count short (by that one change, until the next recount),
 * never high: a high count lets GFP_NORMAL into the reserve.  Whatever
 * lowers the count goes first: a claim's change to the free count before
 * the lease's sum (the reaper, not seeing it in the sum, gives nothing
 * back for it), a release's to the lease's sum before the free count (the
 * reaper takes back what the count never got).  The reaper likewise.
 */
#include "count.h"

void lab_count_publish(struct lab_hall *h, uint32_t guest, int64_t change)
{
	_Atomic int64_t *sum = guest < LAB_MAX_GUESTS ? &h->lease[guest].published : 0;

	if (change < 0)
		atomic_fetch_add_explicit(&h->free, change, memory_order_relaxed);
	if (sum)
		atomic_fetch_add_explicit(sum, change, memory_order_relaxed);
	if (change > 0)
		atomic_fetch_add_explicit(&h->free, change, memory_order_relaxed);
}

/* The same order as a lowering publish, with the count's old value: a
 * claim decides on it (budget.c). */
int64_t lab_count_take(struct lab_hall *h, uint32_t guest, int64_t n)
{
	int64_t before = atomic_fetch_sub_explicit(&h->free, n, memory_order_relaxed);

	if (guest < LAB_MAX_GUESTS)
		atomic_fetch_add_explicit(&h->lease[guest].published, -n, memory_order_relaxed);
	return before;
}

/*
 * Dead @guest: what it published comes back.  Nobody but the one reaper
 * of a dead lease writes its sum, and a reaper run again after this one
 * finished finds it 0.  Killed half way: a sum that lowers the count is
 * taken off the count first, so a second reaper takes it off again (the
 * count short); a sum that raises it is cleared first (the raise lost,
 * the count short).  Never counted back twice.
 */
void lab_count_reap(struct lab_hall *h, uint32_t guest)
{
	_Atomic int64_t *sum;
	int64_t published;

	if (guest >= LAB_MAX_GUESTS)
		return;
	sum = &h->lease[guest].published;
	published = atomic_load(sum);
	if (published > 0)
		atomic_fetch_sub(&h->free, published);
	atomic_store(sum, 0);
	if (published < 0)
		atomic_fetch_sub(&h->free, published);
}

/*
 * From the maps: clear rooms and released ones (dirty or being zeroed:
 * released, so already counted free), as INFO's census counts them.
 * Only with no lease alive and every slot cleared, so every lease's sum
 * is 0 (lab_slot_clear) and stays so.
 */
void lab_count_exact(struct labyrinth *lab)
{
	struct lab_census c;

	lab_census(lab, &c);
	atomic_store(&lab->hall->free, (int64_t)c.free);
}

/* A cursor's budget (budget.c): what it released and has not published. */
void lab_count_flush(struct lab_cur *cur)
{
	if (cur->delta) {
		lab_count_publish(cur->lab->hall, lab_owner_guest(cur->owner),
			      cur->delta);
		cur->delta = 0;
	}
}

void lab_count_account(struct lab_cur *cur, int32_t change)
{
	if (cur->borrowed)
		return;
	cur->delta += change;
	if (cur->delta > LAB_COUNT_BATCH)
		lab_count_flush(cur);
}
