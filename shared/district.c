// SPDX-License-Identifier: MIT
/*
 * district.c - holding districts: the summary level of the labyrinth.
 *
 * A cursor claims only inside the one district it holds (holder[d] is its
 * guest + 1, taken with a CAS).  That exclusivity is what lets a claim be
 * a single fetch_or on the district's map (see claim.c) and what makes a
 * claim safe against SIGKILL at any instruction.
 *
 * The hint bitmap says which districts may have a free room, so finding a
 * district is O(districts / 64) words even at 99 % fill.  Invariant: a
 * district with a free room has its hint bit set, except while a release
 * is between its two steps.  It is kept by a Dekker pair:
 *   release:  clear map bit (seq_cst RMW); load hint; set it if clear
 *   search:   clear hint bit (seq_cst RMW); load map; set hint if free
 * In the seq_cst order one of the two sees the other's write, so a free
 * room is never hidden.  A process killed between the two release steps
 * can hide one; the full scan in lab_district_hold() finds it again.  A set
 * hint on a full district costs a look and one clear: a searcher looks
 * at the map before it takes the holder (no write on a full district) and
 * clears the hint by the pair above.  A holder that emptied its district
 * clears the hint as it leaves, by the same pair: at high fill a cursor
 * empties some ten districts per batch of 64, and a hint left set would
 * send the next search to each again for nothing (measured: half the
 * tries failed, each a CAS, a clear and a store).  (The release steps are
 * now the scrubber's, scrub.c: a guest's release only marks its rooms
 * dirty.)
 *
 * Homes.  Every search starts in the cursor's neighbourhood, the few
 * districts around a fixed home in each corridor, going round them from
 * the district after the last one held there, and only then looks
 * further.  A home that followed the last district held would sweep the
 * whole hall over time (every map line and owner word, far more than the
 * caches hold once the pool is large) and would let two cursors drift
 * onto the same hint line; a fixed neighbourhood keeps each cursor on a
 * few districts, whatever the pool's size, since what it releases goes
 * back there.  Homes are spread so the vCPUs of one guest sit as far apart as
 * possible (the bit-reversed vCPU id: 0, 1/2, 1/4, 3/4, ... of the
 * corridor) and guests are shifted against each other.
 */
#include "district.h"

/* Districts a cursor goes round before it looks further (see homes). */
#define NEIGHBOURHOOD	8u

void lab_district_hint_set(struct lab_hall *h, uint32_t d)
{
	_Atomic uint64_t *w = hall_hint(h, d / 64);
	uint64_t bit = 1ull << (d % 64);

	if (!(atomic_load(w) & bit))
		atomic_fetch_or(w, bit);
}

uint32_t lab_district_free(struct lab_hall *h, uint32_t d)
{
	_Atomic uint64_t *map = hall_map(h, d);
	uint32_t used = 0;

	for (uint32_t w = 0; w < LAB_WORDS; w++)
		used += (uint32_t)__builtin_popcountll(atomic_load(&map[w]));
	return LAB_DISTRICT_ROOMS - used;
}

/* Whether district @d has a free room: no count needed, so no popcount
 * (a library call where the target has no popcnt instruction). */
static bool district_has_free(struct lab_hall *h, uint32_t d)
{
	_Atomic uint64_t *map = hall_map(h, d);

	for (uint32_t w = 0; w < LAB_WORDS; w++)
		if (~atomic_load(&map[w]))
			return true;
	return false;
}

/* Clear the hint of a district believed full, unless it no longer is. */
static void district_hint_clear(struct lab_hall *h, uint32_t d)
{
	atomic_fetch_and(hall_hint(h, d / 64), ~(1ull << (d % 64)));
	if (district_has_free(h, d))
		lab_district_hint_set(h, d);
}

/*
 * Make a zeroed room claimable: clear the map bit.  Then the release half
 * of the Dekker pair of district.c, so a searcher that just gave up on
 * this district sees it.  Called by whoever zeroed the room.
 */
void lab_district_room_open(struct lab_hall *h, uint32_t room)
{
	atomic_fetch_and(hall_room_map_word(h, room), ~(1ull << (room % 64)));
	lab_district_hint_set(h, room / LAB_DISTRICT_ROOMS);
}

/* Every room of district @d zeroed and ours to open (a district claimed
 * whole): its map words cleared at once, then the hint, as above. */
void lab_district_open_all(struct lab_hall *h, uint32_t d)
{
	for (uint32_t w = 0; w < LAB_WORDS; w++)
		atomic_store(&hall_map(h, d)[w], 0);
	lab_district_hint_set(h, d);
}

void lab_district_leave(struct lab_cur *cur)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t d = cur->district;

	if (d == LAB_NONE)
		return;
	/* Release: the next holder must see our owner prewrites. */
	atomic_store_explicit(hall_holder(h, d), 0, memory_order_release);
	cur->district = LAB_NONE;
}

void lab_district_leave_full(struct lab_cur *cur)
{
	uint32_t d = cur->district;

	lab_district_leave(cur);
	if (d != LAB_NONE)
		district_hint_clear(cur->lab->hall, d);
}

/* Take district @d if nobody holds it and it has a free room. */
static bool district_try(struct lab_cur *cur, uint32_t d)
{
	struct lab_hall *h = cur->lab->hall;
	_Atomic uint16_t *holder = hall_holder(h, d);
	uint16_t none = 0;

	if (atomic_load_explicit(holder, memory_order_relaxed))
		return false;
	if (!district_has_free(h, d)) {
		district_hint_clear(h, d);
		return false;
	}
	if (!atomic_compare_exchange_strong_explicit(holder, &none,
						     (uint16_t)(cur->owner >> 16),
						     memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	if (!district_has_free(h, d)) {
		district_hint_clear(h, d);
		if (!district_has_free(h, d)) {
			atomic_store_explicit(holder, 0, memory_order_release);
			return false;
		}
	}
	lab_district_hint_set(h, d);
	cur->district = d;
	cur->word = 0;
	return true;
}

/* Next district in [d, end) whose hint bit is set, or @end. */
static uint32_t next_hinted(struct lab_hall *h, uint32_t d, uint32_t end)
{
	while (d < end) {
		uint64_t bits = atomic_load_explicit(hall_hint(h, d / 64),
						     memory_order_relaxed);
		bits &= ~0ull << (d % 64);
		d -= d % 64;
		if (bits) {
			d += (uint32_t)__builtin_ctzll(bits);
			return d < end ? d : end;
		}
		d += 64;
	}
	return end;
}

static bool hold_hinted(struct lab_cur *cur, uint32_t from, uint32_t end)
{
	struct lab_hall *h = cur->lab->hall;

	for (uint32_t d = next_hinted(h, from, end); d < end;
	     d = next_hinted(h, d + 1, end))
		if (district_try(cur, d))
			return true;
	return false;
}

/* The slow path: trust no hint, look at every unheld district. */
static bool hold_scanned(struct lab_cur *cur, uint32_t from, uint32_t end)
{
	struct lab_hall *h = cur->lab->hall;

	for (uint32_t d = from; d < end; d++)
		if (district_has_free(h, d) && district_try(cur, d))
			return true;
	return false;
}

/* The cursor's home in corridor @c: its fraction of the corridor. */
uint32_t lab_district_home(const struct lab_hall *h, const struct lab_cur *cur,
		       uint32_t c)
{
	uint32_t s = hall_corridor_start(h, c), e = hall_corridor_start(h, c + 1);

	return s + (uint32_t)(((uint64_t)cur->home * (e - s)) >> 16);
}

/*
 * Search corridor @c: round the home's neighbourhood (the aligned
 * NEIGHBOURHOOD districts around the home) from the district after the
 * last one held there, so a cursor takes turns over a few districts
 * instead of emptying the first one and switching at every claim; then
 * the rest of the corridor from the neighbourhood's end, wrapping.
 */
static bool hold_in_corridor(struct lab_cur *cur, uint32_t c, bool scan)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t s = hall_corridor_start(h, c), e = hall_corridor_start(h, c + 1);
	uint32_t base = lab_district_home(h, cur, c) & ~(NEIGHBOURHOOD - 1);
	uint32_t ns = base > s ? base : s;
	uint32_t ne = base + NEIGHBOURHOOD < e ? base + NEIGHBOURHOOD : e;
	uint32_t next = base + (cur->rover + 1) % NEIGHBOURHOOD;
	bool (*hold)(struct lab_cur *, uint32_t, uint32_t) =
		scan ? hold_scanned : hold_hinted;

	if (next < ns || next >= ne)
		next = ns;
	if (hold(cur, next, ne) || hold(cur, ns, next)) {
		cur->rover = cur->district - base;
		return true;
	}
	return hold(cur, ne, e) || hold(cur, s, ns);
}

/*
 * Hold a district with a free room: the preferred corridor first, then
 * the next ones cyclically (the zonelist), first by hints, then, only
 * when the hints found nothing anywhere, by a full scan.
 */
bool lab_district_hold(struct lab_cur *cur, uint32_t corridor,
		   unsigned int flags)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t tries = (flags & LAB_THISCORRIDOR) ? 1 : h->corridors;

	lab_district_leave(cur);
	for (int scan = 0; scan < 2; scan++)
		for (uint32_t i = 0; i < tries; i++)
			if (hold_in_corridor(cur, (corridor + i) % h->corridors,
					     scan))
				return true;
	return false;
}

/* Every room of district @d free, or with @dirty_ok free or dirty: none
 * owned, none a wall.  A dirty bit is set after its owner word says
 * LAB_DIRTY (scrub.c), so a room released a moment ago may still look
 * owned: the district is passed over this time. */
static bool district_all_free(struct lab_hall *h, uint32_t d, bool dirty_ok)
{
	_Atomic uint64_t *map = hall_map(h, d), *dirty = hall_dirty(h, d);

	for (uint32_t w = 0; w < LAB_WORDS; w++) {
		uint64_t taken = atomic_load(&map[w]);

		if (dirty_ok && taken)
			taken &= ~atomic_load(&dirty[w]);
		if (taken)
			return false;
	}
	return true;
}

/*
 * Holder @from -> @to, kept only if every room is free (or dirty, with
 * @dirty_ok).  Once the holder is ours nobody else claims there, so a
 * room seen free after the CAS stays free: the check must come after it.
 */
bool lab_district_take(struct lab_hall *h, uint32_t d, uint16_t from, uint16_t to,
		       bool dirty_ok)
{
	uint16_t was = from;

	if (!atomic_compare_exchange_strong(hall_holder(h, d), &was, to))
		return false;
	if (district_all_free(h, d, dirty_ok))
		return true;
	was = to;
	atomic_compare_exchange_strong(hall_holder(h, d), &was, from);
	if (!from)
		lab_district_hint_set(h, d);
	return false;
}

/* A district of [from, end) taken for @to: by the hints, all clean; or by
 * a scan, all free or dirty. */
static uint32_t take_whole_in(struct lab_hall *h, uint32_t from, uint32_t end,
			      uint16_t to, bool scan)
{
	uint32_t d = scan ? from : next_hinted(h, from, end);

	while (d < end) {
		if (!atomic_load_explicit(hall_holder(h, d), memory_order_relaxed) &&
		    district_all_free(h, d, scan) && lab_district_take(h, d, 0, to, scan))
			return d;
		d = scan ? d + 1 : next_hinted(h, d + 1, end);
	}
	return LAB_NONE;
}

/*
 * A district nobody holds, all of whose rooms are free, taken with holder
 * @to: the preferred corridor first, then the next ones (unless
 * LAB_THISCORRIDOR), each from the cursor's home.  Clean districts first,
 * found by the free hints; only when there is none anywhere, a scan for
 * one whose rooms are free or dirty (the claimer zeroes those).  A whole
 * claim leaves the hint set (its rooms are free until the claim's commit):
 * a later search passes it on the holder word, without a write.
 */
uint32_t lab_district_take_whole(struct lab_cur *cur, uint32_t corridor,
				 unsigned int flags, uint16_t to)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t tries = (flags & LAB_THISCORRIDOR) ? 1 : h->corridors;

	for (int scan = 0; scan < 2; scan++) {
		for (uint32_t i = 0; i < tries; i++) {
			uint32_t c = (corridor + i) % h->corridors;
			uint32_t s = hall_corridor_start(h, c), e = hall_corridor_start(h, c + 1);
			uint32_t mid = lab_district_home(h, cur, c);
			uint32_t d = take_whole_in(h, mid, e, to, scan);

			if (d == LAB_NONE)
				d = take_whole_in(h, s, mid, to, scan);
			if (d != LAB_NONE)
				return d;
		}
	}
	return LAB_NONE;
}
