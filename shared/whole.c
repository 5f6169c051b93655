// SPDX-License-Identifier: MIT
/*
 * whole.c - districts claimed whole: all LAB_DISTRICT_ROOMS rooms of a
 * district for one guest, at once, and released at once (labyrinth.h).
 *
 * A whole claim is a single claim's steps on a district nobody else can
 * touch: its holder word goes from "nobody" (or "lent to this guest", in an
 * extent) to LAB_HOLDER_WHOLE | guest + 1 with one CAS, and only then is
 * it checked to have no room owned (district.c: the check must follow the
 * CAS).  Then, as the cursor's own district, its dirty rooms are zeroed
 * and taken (scrub.c) and its free rooms claimed (claim.c: owner words,
 * then one fetch_or per map word); a shortfall (a scrubber was zeroing
 * one of its rooms) is undone and the district given back.  The holder
 * word keeps every cursor, the worker and other whole claims out of it
 * for as long as it is claimed, so no one else ever owns one of its rooms.
 *
 * Why a SIGKILL at any instruction leaves nothing half done: before the
 * holder CAS nothing changed; after it the holder names the dead guest
 * and the reaper gives it back (reap.c), freeing, zeroed, every room the
 * claim had committed; owner words and map bits go exactly as a single
 * claim's.  A release first gives the holder back, then makes the rooms
 * dirty as any release does: killed in between, the rooms are the dead
 * guest's, reaped and zeroed; afterwards they are dirty, scrubbed before
 * anyone claims them.  While a district is claimed whole, a release of one
 * of its rooms alone is refused (release.c): it is never half released.
 *
 * The limits are a single claim's: the rooms leave the free count in the
 * budget's one atomic step (budget.c), which keeps the reserve (unless
 * GFP_ATOMIC) and the other guests' unmet guarantees; the dispatcher
 * checks the max first (limits.c), as for rooms.
 */
#include "budget.h"
#include "claim.h"
#include "count.h"
#include "district.h"
#include "scrub.h"
#include "zero.h"

static const struct lab_floor no_floor;

/* Tries per district wanted: a district whose room a scrubber is zeroing
 * fails the fill, and is given back for another. */
#define WHOLE_TRIES	4

/* The holder word of a district claimed whole from holder @from. */
static uint16_t whole_code(const struct lab_cur *cur, uint16_t from)
{
	return (uint16_t)(from | LAB_HOLDER_WHOLE | cur->owner >> 16);
}

/* Every room of district @d, in order. */
static void district_rooms(uint32_t d, uint32_t *rooms)
{
	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i++)
		rooms[i] = d * LAB_DISTRICT_ROOMS + i;
}

/* Gives the holder back: to nobody, or to the extent's lend. */
static void whole_unhold(struct lab_hall *h, uint32_t d, uint16_t code)
{
	atomic_store_explicit(hall_holder(h, d), code & LAB_HOLDER_LENT ? code & ~LAB_HOLDER_WHOLE : 0,
			      memory_order_release);
	if (!(code & LAB_HOLDER_LENT))
		lab_district_hint_set(h, d);
}

/*
 * Claim every room of district @d, whose holder we just took as @code:
 * its dirty rooms zeroed and kept, then its free ones.  All or none: on a
 * shortfall the rooms taken go back unseen (zero) and so does the holder.
 */
static bool whole_fill(struct lab_cur *cur, uint32_t d, uint16_t code, uint32_t *rooms)
{
	uint32_t held = cur->district, word = cur->word;	/* its own, kept */
	unsigned int got;

	cur->district = d;
	cur->word = 0;
	got = lab_scrub_held(cur, LAB_DISTRICT_ROOMS, rooms);
	got += lab_claim_district(cur, LAB_DISTRICT_ROOMS - got, rooms + got);
	cur->district = held;
	cur->word = word;
	if (got == LAB_DISTRICT_ROOMS)
		return true;
	lab_claim_undo(cur, rooms, got);
	whole_unhold(cur->lab->hall, d, code);
	return false;
}

/* One district of the pool claimed whole, LAB_NONE if none could be. */
static uint32_t whole_claim_one(struct lab_cur *cur, uint32_t corridor, unsigned int flags,
				uint32_t *rooms)
{
	uint16_t code = whole_code(cur, 0);

	for (int i = 0; i < WHOLE_TRIES; i++) {
		uint32_t d = lab_district_take_whole(cur, corridor, flags, code);

		if (d == LAB_NONE)
			return LAB_NONE;
		if (whole_fill(cur, d, code, rooms))
			return d;
	}
	return LAB_NONE;
}

/* Districts claimed whole by this cursor and seen by nobody: given back
 * as their rooms came (undone, not scrubbed). */
static void whole_undo(struct lab_cur *cur, const uint32_t *districts, unsigned int n,
		       uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t code = atomic_load(hall_holder(h, districts[i]));

		district_rooms(districts[i], rooms);
		lab_claim_undo(cur, rooms, LAB_DISTRICT_ROOMS);
		whole_unhold(h, districts[i], code);
	}
}

unsigned int lab_claim_districts(struct lab_cursor *pub, unsigned int flags, uint32_t corridor,
				 unsigned int n, uint32_t *districts, const struct lab_floor *floor)
{
	struct lab_cur *cur = lab_cur(pub);
	struct lab_hall *h = cur->lab->hall;
	uint32_t rooms[LAB_DISTRICT_ROOMS];
	unsigned int want, got = 0;

	if (!cur->owner || n == 0 || n > LAB_DISTRICTS_MAX)
		return 0;
	if (corridor >= h->corridors)
		corridor %= h->corridors;
	want = lab_budget_take(cur, flags, n * LAB_DISTRICT_ROOMS, floor ? floor : &no_floor) /
	       LAB_DISTRICT_ROOMS;
	if (want < n && (flags & LAB_ALL_OR_NOTHING))
		want = 0;
	while (got < want) {
		uint32_t d = whole_claim_one(cur, corridor, flags, rooms);

		if (d == LAB_NONE)
			break;
		districts[got++] = d;
	}
	if (got < want)		/* cursors give back what they hold */
		atomic_fetch_add(&h->starving, 1);
	if (got < n && (flags & LAB_ALL_OR_NOTHING)) {
		whole_undo(cur, districts, got, rooms);
		got = 0;
	}
	if (cur->borrowed)
		return got;
	/* What the budget took and no district used goes back now: a
	 * refused claim leaves the count as it found it. */
	cur->delta -= (int32_t)(got * LAB_DISTRICT_ROOMS);
	if (cur->delta > 0)
		lab_count_flush(cur);
	return got;
}

unsigned int lab_claim_districts_within(struct lab_cursor *pub, uint32_t first, uint32_t n,
					unsigned int want, uint32_t *districts)
{
	struct lab_cur *cur = lab_cur(pub);
	struct lab_hall *h = cur->lab->hall;
	uint16_t lent = (uint16_t)(cur->owner >> 16 | LAB_HOLDER_LENT);
	uint32_t rooms[LAB_DISTRICT_ROOMS];
	unsigned int got = 0;

	if (!cur->owner || !n || !want || want > LAB_DISTRICTS_MAX)
		return 0;
	cur->borrowed = true;
	for (uint32_t i = 0; i < n && got < want; i++) {
		uint32_t d = first + i;

		if (lab_district_take(h, d, lent, whole_code(cur, lent), true) &&
		    whole_fill(cur, d, whole_code(cur, lent), rooms))
			districts[got++] = d;
	}
	return got;
}

/* Why district @d cannot be released by this cursor's guest, or 0. */
static int whole_check(struct lab_cur *cur, uint32_t d)
{
	struct lab_hall *h = cur->lab->hall;
	uint16_t code;

	if (d >= h->districts)
		return LAB_ERANGE;
	code = atomic_load_explicit(hall_holder(h, d), memory_order_acquire);
	if (!(code & LAB_HOLDER_WHOLE))
		return LAB_EINVAL;
	if ((code & LAB_HOLDER_GUEST) != cur->owner >> 16)
		return LAB_EPERM;
	return 0;
}

/* The holder back first, then the rooms dirty (or zeroed at once, as
 * release.c does without a scrubber): see the SIGKILL argument above. */
static void whole_release(struct lab_cur *cur, uint32_t d, uint32_t *rooms)
{
	struct labyrinth *lab = cur->lab;

	district_rooms(d, rooms);
	whole_unhold(lab->hall, d, atomic_load(hall_holder(lab->hall, d)));
	if (!lab->pool || lab->scrub_at_release) {
		for (uint32_t i = 0; lab->pool && i < LAB_DISTRICT_ROOMS; i++)
			lab_zero_room(lab, rooms[i]);
		lab_district_open_all(lab->hall, d);
	} else {
		lab_scrub_dirty_make(lab->hall, rooms, LAB_DISTRICT_ROOMS);
	}
	lab_count_account(cur, (int32_t)LAB_DISTRICT_ROOMS);
}

int lab_release_districts(struct lab_cursor *pub, const uint32_t *districts, unsigned int n)
{
	struct lab_cur *cur = lab_cur(pub);
	uint32_t rooms[LAB_DISTRICT_ROOMS];
	int err;

	if (!cur->owner || n == 0 || n > LAB_DISTRICTS_MAX)
		return LAB_EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		err = whole_check(cur, districts[i]);
		if (err)
			return err;
		for (unsigned int j = 0; j < i; j++)
			if (districts[j] == districts[i])
				return LAB_EALREADY;
	}
	for (unsigned int i = 0; i < n; i++)
		whole_release(cur, districts[i], rooms);
	return 0;
}

uint32_t lab_district_whole_of(const struct labyrinth *lab, uint32_t d)
{
	return hall_holder_marked(lab->hall, d, LAB_HOLDER_WHOLE);
}
