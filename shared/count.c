// SPDX-License-Identifier: MIT
/*
 * count.c - the free count (hall->free): how many rooms monitors can
 * claim, an estimate for the watermarks, the reserve, the guarantees and
 * pressure.  Rooms are always found by the maps, never by the count.
 *
 * Who changes it: cursors, in batches of up to a district's rooms
 * (claim.c), and the lending of extents (extent.c).  Every change is also
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
 * A kill between the two adds below leaves the count off by that one
 * change (at most a district's rooms), until the next recount: the
 * window is two instructions, against the whole life of a cursor.
 */
#include "hall.h"

void count_publish(struct lab_hall *h, uint32_t guest, int64_t change)
{
	if (guest < LAB_MAX_GUESTS)
		atomic_fetch_add_explicit(&h->lease[guest].published, change,
					  memory_order_relaxed);
	atomic_fetch_add_explicit(&h->free, change, memory_order_relaxed);
}

/* Dead @guest: what it published comes back; nothing is counted twice
 * when a reaper runs again (the lease's sum is taken once). */
void count_reap(struct lab_hall *h, uint32_t guest)
{
	int64_t published;

	if (guest >= LAB_MAX_GUESTS)
		return;
	published = atomic_exchange(&h->lease[guest].published, 0);
	atomic_fetch_sub(&h->free, published);
}

/*
 * From the maps: clear rooms and released ones (dirty or being zeroed:
 * released, so already counted free), as INFO's census counts them.
 * Only with no lease alive, so every lease's sum is 0 and stays so.
 */
void count_exact(struct labyrinth *lab)
{
	struct lab_census c;

	lab_census(lab, &c);
	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		atomic_store(&lab->hall->lease[g].published, 0);
	atomic_store(&lab->hall->free, (int64_t)c.free);
}
