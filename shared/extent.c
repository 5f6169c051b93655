// SPDX-License-Identifier: MIT
/*
 * extent.c - the core's part of lending an extent (labyrinth.h; the host's
 * part is labyrinth_extent.h):
 * holding a run of districts for one owner, and claiming only there.
 *
 * A lent extent's districts are held (holder[d] = the borrower's guest + 1,
 * marked LAB_HOLDER_LENT) for as long as it is lent, so no cursor's
 * lab_district_hold() can take them, the borrower's claims never leave them,
 * and never reach a district a cursor holds.  A release there is an
 * ordinary release, and the reaper of a dead borrower gives the districts
 * back as it gives back any cursor's (reap.c), once the host has made sure
 * nobody maps the extent.
 *
 * The free count.  Its rooms are the borrower's alone, so a lent extent
 * leaves the free count whole when it is lent (the watermarks, pressure
 * and guarantees are about what monitors can claim), the borrower's
 * cursor counts nothing (cur->borrowed), and when the extent is returned
 * its free rooms come back to the count.  Each of these is published for
 * the lender's lease (count.c), so the rooms the borrower still owns come
 * back when the lease is reaped, as does the whole extent if the lender
 * was killed between lending and recording the lend.
 */
#include "claim.h"
#include "count.h"
#include "district.h"
#include "lab_limits.h"

/* Districts lent to lease @guest, for limits.c (no lease: nothing). */
static void lent_change(struct lab_hall *h, uint32_t guest, int64_t n)
{
	if (guest < LAB_MAX_GUESTS)
		atomic_fetch_add(&h->lease[guest].lent, (uint32_t)n);
}

/* The holder word of a district lent to @owner's guest (hall.h). */
static uint16_t holder_code(uint32_t owner)
{
	return (uint16_t)(owner >> 16 | LAB_HOLDER_LENT);
}

/* To nobody; or, claimed whole by the borrower, to its whole claim
 * outside any lend: not lent (the monitors' again), still whole (its
 * rooms its own until its release or reap, which takes the holder too). */
static void district_unlend(struct lab_hall *h, uint32_t d, uint32_t owner)
{
	uint16_t o = holder_code(owner);

	if (atomic_compare_exchange_strong(hall_holder(h, d), &o, 0)) {
		lab_district_hint_set(h, d);
		return;
	}
	o = holder_code(owner) | LAB_HOLDER_WHOLE;
	atomic_compare_exchange_strong(hall_holder(h, d), &o, (uint16_t)(o & ~LAB_HOLDER_LENT));
}

static void districts_unlend(struct labyrinth *lab, uint32_t first, uint32_t n,
			     uint32_t owner)
{
	for (uint32_t d = first; d < first + n; d++)
		district_unlend(lab->hall, d, owner);
}

/* Every room of the run was free when lent and nobody claimed there yet. */
void lab_districts_unlend(struct labyrinth *lab, uint32_t first, uint32_t n,
			  uint32_t owner)
{
	districts_unlend(lab, first, n, owner);
	lent_change(lab->hall, lab_owner_guest(owner), -(int64_t)n);
	lab_count_publish(lab->hall, lab_owner_guest(owner),
		      (int64_t)n * LAB_DISTRICT_ROOMS);
}

void lab_districts_count_back(struct labyrinth *lab, uint32_t first, uint32_t n,
			      uint32_t guest)
{
	int64_t free = 0;

	for (uint32_t d = first; d < first + n; d++)
		free += lab_district_free(lab->hall, d);
	lent_change(lab->hall, guest, -(int64_t)n);
	lab_count_publish(lab->hall, guest, free);
	/* The monitors' again at once, not when the lender's lease goes: a
	 * live lease would keep a pool extent out of every claim meanwhile.
	 * Rooms it still owns there are its own, as in any district, until
	 * its release or reap. */
	districts_unlend(lab, first, n, lab_owner(guest, 0));
}

/* Held, nobody claims there but @owner, so "all free" stays true. */
static bool district_lend(struct lab_hall *h, uint32_t d, uint32_t owner)
{
	return lab_district_take(h, d, 0, holder_code(owner), false);
}

/* All held by @owner, or none: a district some cursor holds, or with a
 * room claimed or dirty (not yet scrubbed), makes the run unlendable now;
 * so does taking rooms the monitors' unmet guarantees keep. */
int lab_districts_lend(struct labyrinth *lab, uint32_t first, uint32_t n,
		       uint32_t owner)
{
	struct lab_hall *h = lab->hall;

	if (!owner || first > h->districts || n > h->districts - first)
		return LAB_EINVAL;
	for (uint32_t d = first; d < first + n; d++) {
		if (!district_lend(h, d, owner)) {
			districts_unlend(lab, first, d - first, owner);
			return LAB_EBUSY;
		}
	}
	lent_change(h, lab_owner_guest(owner), (int64_t)n);
	lab_count_publish(h, lab_owner_guest(owner), -(int64_t)n * LAB_DISTRICT_ROOMS);
	/* The rooms are gone from what monitors can claim: a lend that left
	 * them less than their unmet guarantees is undone.
	 * Checked after the count went down, so of two lenders at once the
	 * later sees both (as two setters of guarantees do, limits.c). */
	if (!lab_limits_lend_fits(h, lab_owner_guest(owner))) {
		lab_districts_unlend(lab, first, n, owner);
		return LAB_ENOSPC;
	}
	return 0;
}

uint32_t lab_district_lent_to(const struct labyrinth *lab, uint32_t d)
{
	return hall_holder_marked(lab->hall, d, LAB_HOLDER_LENT);
}

unsigned int lab_claim_within(struct lab_cursor *pub, uint32_t first, uint32_t n,
			      unsigned int want, uint32_t *rooms)
{
	struct lab_cur *cur = lab_cur(pub);
	struct lab_hall *h = cur->lab->hall;
	unsigned int got = 0;

	if (!cur->owner || !n || want > LAB_HC_BATCH_MAX)
		return 0;
	cur->borrowed = true;
	/* The districts are held by the lender, not by this cursor: it must
	 * never leave them (district_leave would clear the holder). */
	for (uint32_t i = 0; i < n && got < want; i++) {
		uint32_t d = first + (cur->home + i) % n;

		if (atomic_load_explicit(hall_holder(h, d), memory_order_acquire) !=
		    holder_code(cur->owner))
			continue;
		cur->district = d;
		cur->word = 0;
		got += lab_claim_district(cur, want - got, rooms + got);
		cur->district = LAB_NONE;
		if (got < want)
			continue;
		cur->home = d - first;
	}
	lab_count_account(cur, -(int32_t)got);
	return got;
}
