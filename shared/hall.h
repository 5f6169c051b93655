/* SPDX-License-Identifier: MIT */
/*
 * hall.h - layout of the shared metadata ("the hall") of a labyrinth: the
 * bottom layer of the core, layout only (no function of another layer).
 * Private to the core and the host side; users see only labyrinth.h.
 * Prefix hall_; the handle and the cursor are handle.h's, and every
 * layer above has its own header (zero.h, district.h, count.h, budget.h,
 * scrub.h, reuse.h, claim.h, lab_limits.h, slot.h; README, "The parts").
 *
 * The hall sits right after the pool in the same shared file.  After the
 * fixed header come five arrays, each 64-byte aligned:
 *   holder[districts]   _Atomic u16: guest + 1 of the cursor holding the
 *                       district, 0 if none.  Only the holder claims there.
 *   hint[districts/64]  one cache line per 64 districts (a hint line):
 *                       word 0, bit set => district may have a free room;
 *                       word 1, bit set => it may have a dirty room.
 *                       A line each, so cursors working far apart never
 *                       write the same line (their homes keep them apart,
 *                       district.c).  Never clear while the district has
 *                       such a room (district.c, scrub.c); scans back them.
 *                       A dirty hint is cleared only when the district's
 *                       dirty map was seen empty (scrub.c).
 *   map[districts][8]   _Atomic u64: bit set => room not claimable: owned,
 *                       dirty, being scrubbed, or a wall past the last
 *                       room.  One cache line per district.
 *   dirty[districts][8] _Atomic u64: bit set => the room may be dirty: set
 *                       by its release after the owner word said so,
 *                       cleared by the scrubber that took it.  The owner
 *                       word decides (scrub.c); the bits only find dirty
 *                       rooms in O(1), instead of reading 512 owner words.
 *                       One cache line per district.
 *   owner[districts*512] _Atomic u32: meaningful only while the room's map
 *                       bit is set: an owner code (owned), LAB_DIRTY
 *                       (released, not yet zeroed), a scrubber's code
 *                       (owner | LAB_SCRUBBING) or LAB_WALL.
 * Allocation state: 1/8 (map) + 1/8 (dirty) + 2/512 (holder) + 1/512
 * (hint) = 0.256 bytes per room; owner records: 4 bytes per room.
 */
#ifndef LAB_HALL_H
#define LAB_HALL_H

#include "labyrinth.h"

#define LAB_MAGIC	0x4c414259524e5448ull	/* "LABYRNTH" */
#define LAB_VERSION	10u	/* 2: OFD leases; 3: tallies; 4: limits; 5: pressure;
				   6: dirty rooms, hint lines, u16 holders;
				   7: free count published per lease;
				   8: districts lent per lease;
				   9: dirty maps;
				   10: districts claimed whole (holder bit) */
#define LAB_WALL	UINT32_MAX	/* owner code of rooms past the end */
#define LAB_DIRTY	(UINT32_MAX - 1)	/* released, not yet scrubbed */
/*
 * Set in the owner word of a room being zeroed, beside the scrubber's own
 * code, so a scrubber killed mid-scrub leaves a room its guest's reaper
 * takes back.  Owner codes of real guests stay below it (guest + 1 <= 64).
 */
#define LAB_SCRUBBING	(1u << 31)
#define LAB_HINT_LINE_WORDS	(LAB_CACHELINE / 8)
#define LAB_WORDS	(LAB_DISTRICT_ROOMS / 64)
#define LAB_CACHELINE	64

/*
 * A lease slot.  Whether it is alive is not written here: the holder keeps
 * an OFD write lock on the slot's byte of the labyrinth's file for the
 * whole life of the lease, and the kernel drops it when the holder dies
 * (vmm/host/lease.c).  @word is the holder's pid as it saw itself (its own
 * PID namespace), for display only; 0 means the slot is free, and non-zero
 * with no lock held means a dead lease not yet reaped.  @window_va and
 * @window_len are the host virtual range of the holder's room window,
 * published by the monitor for auditors; 0 when there is none.
 */
struct lab_lease {
	_Atomic uint64_t word;
	_Atomic uint64_t window_va, window_len;
	struct lab_tally tally;		/* this lease's calls, published in batches */
	/* Fair sharing (shared/limits.c): @max rooms at most (LAB_UNLIMITED:
	 * none), @min kept claimable for this guest whatever others do;
	 * @held as the dispatcher counts it (claims in flight included);
	 * @cached what the guest last said its own caches keep (display);
	 * @asked the rooms the host asks the guest to hold (elastic RAM),
	 * + 1, 0 for none, in its low LAB_ASK_BITS; above them, the number
	 * of the ask (it fills what was padding: the layout is v9's). */
	_Atomic uint32_t max, min;
	_Atomic int64_t held;
	_Atomic uint32_t cached;
	_Atomic uint32_t asked;
	/* Every change this lease made to the free count (count.c): what a
	 * reaper of the dead lease gives back to it. */
	_Atomic int64_t published;
	/* Districts lent to this lease (extent.c): a borrower claims only
	 * there, so the guarantees (limits.c) neither hold its claims back
	 * nor hold monitors back for it. */
	_Atomic uint32_t lent;
	/* Of what the guest holds, the rooms above @asked it said it cannot
	 * give back (its server's copy of the guest's word; padding in v9). */
	_Atomic uint32_t unmet;
};

struct lab_hall {
	uint64_t magic;
	uint32_t version;
	uint32_t rooms;
	uint32_t corridors;
	uint32_t districts;
	uint32_t reserve;
	uint32_t hint_lines;
	uint64_t size;			/* bytes of the whole hall */
	uint64_t off_holder, off_hint, off_map, off_owner;
	uint64_t off_dirty;

	/* Free rooms as published by cursors (in batches): watermarks only. */
	_Alignas(LAB_CACHELINE) _Atomic int64_t free;
	/* Bumped when a claim failed; cursors then give back their district. */
	_Alignas(LAB_CACHELINE) _Atomic uint32_t starving;
	/* Leases with a guarantee (bit g: lease[g].min > 0): claims of others
	 * look at them; when none has one, a claim reads only this word. */
	_Alignas(LAB_CACHELINE) _Atomic uint64_t guaranteed;
	/* Memory pressure (shared/pressure.c): odd while free is below the
	 * low watermark and not yet back above the high one; every change
	 * adds one, so episodes = (pressure + 1) / 2. */
	_Atomic uint64_t pressure;
	_Alignas(LAB_CACHELINE) struct lab_lease lease[LAB_MAX_GUESTS];
};

/*
 * Set in the holder word of a district lent in an extent (extent.c),
 * beside the lender's guest + 1: no cursor holds it, and a cursor's
 * holder word (guest + 1 alone) never passes for a lent one, so claims
 * within an extent cannot reach a district a cursor of the same guest
 * holds (two claimers in one district could grant a room twice).
 */
#define LAB_HOLDER_LENT	0x8000u
/*
 * Set in the holder word of a district claimed whole (whole.c), beside
 * the claimer's guest + 1 (and LAB_HOLDER_LENT in a lent extent): every
 * room of it is that guest's, no cursor holds it, and no room of it is
 * released alone (release.c), so it is never half one guest's.
 */
#define LAB_HOLDER_WHOLE	0x4000u
#define LAB_HOLDER_GUEST	0x3fffu	/* the guest + 1 part of a holder word */

static inline _Atomic uint16_t *hall_holder(struct lab_hall *h, uint32_t d)
{
	return (_Atomic uint16_t *)((char *)h + h->off_holder) + d;
}

/* Guest whose cursor holds district @d, LAB_NONE if nobody holds it. */
static inline uint32_t hall_holder_guest(struct lab_hall *h, uint32_t d)
{
	uint16_t g = atomic_load_explicit(hall_holder(h, d),
					  memory_order_relaxed) & LAB_HOLDER_GUEST;

	return g ? g - 1u : LAB_NONE;
}

/* Guest whose holder word of district @d carries @mark (LAB_HOLDER_LENT,
 * LAB_HOLDER_WHOLE), LAB_NONE if it does not or @d is past the end. */
static inline uint32_t hall_holder_marked(struct lab_hall *h, uint32_t d, uint16_t mark)
{
	uint16_t code;

	if (d >= h->districts)
		return LAB_NONE;
	code = atomic_load_explicit(hall_holder(h, d), memory_order_acquire);
	return code & mark ? (uint32_t)(code & LAB_HOLDER_GUEST) - 1u : LAB_NONE;
}

/* Free hints of districts 64 * line .. 64 * line + 63. */
static inline _Atomic uint64_t *hall_hint(struct lab_hall *h, uint32_t line)
{
	return (_Atomic uint64_t *)((char *)h + h->off_hint) +
	       (size_t)line * LAB_HINT_LINE_WORDS;
}

/* Dirty hints of the same districts, in the same line. */
static inline _Atomic uint64_t *hall_dirty_hint(struct lab_hall *h,
						uint32_t line)
{
	return hall_hint(h, line) + 1;
}

static inline _Atomic uint64_t *hall_map(struct lab_hall *h, uint32_t d)
{
	return (_Atomic uint64_t *)((char *)h + h->off_map) + (size_t)d * LAB_WORDS;
}

/* Dirty map of district @d: the rooms that may be dirty (see above). */
static inline _Atomic uint64_t *hall_dirty(struct lab_hall *h, uint32_t d)
{
	return (_Atomic uint64_t *)((char *)h + h->off_dirty) + (size_t)d * LAB_WORDS;
}

static inline _Atomic uint32_t *hall_owner(struct lab_hall *h, uint32_t room)
{
	return (_Atomic uint32_t *)((char *)h + h->off_owner) + room;
}

/* First district of corridor @c (c == corridors gives the end). */
static inline uint32_t hall_corridor_start(const struct lab_hall *h, uint32_t c)
{
	/* Most halls have one corridor: then no division on the claim path
	 * (they were 4-5 % of a single room's claim and release). */
	if (h->corridors == 1)
		return c ? h->districts : 0;
	return (uint32_t)((uint64_t)c * h->districts / h->corridors);
}

static inline uint32_t hall_corridor_of(const struct lab_hall *h, uint32_t d)
{
	if (h->corridors == 1)
		return 0;
	return (uint32_t)(((uint64_t)d * h->corridors + h->corridors - 1) /
			  h->districts);
}

/* Is district @d claimed whole (by whomever)? */
static inline bool hall_district_whole(struct lab_hall *h, uint32_t d)
{
	return atomic_load_explicit(hall_holder(h, d), memory_order_acquire) &
	       LAB_HOLDER_WHOLE;
}

static inline _Atomic uint64_t *hall_room_map_word(struct lab_hall *h, uint32_t room)
{
	return &hall_map(h, room / LAB_DISTRICT_ROOMS)
		[(room % LAB_DISTRICT_ROOMS) / 64];
}

/* The owner code a room of @owner's guest has while @owner zeroes it. */
static inline uint32_t hall_scrubbing_code(uint32_t owner)
{
	return owner | LAB_SCRUBBING;
}

/* Released and not yet zeroed (dirty, or a scrubber is at it). */
static inline bool hall_owner_released(uint32_t o)
{
	return o == LAB_DIRTY || (o != LAB_WALL && (o & LAB_SCRUBBING));
}

/* Guest an owner word belongs to (owned or being scrubbed), or LAB_NONE
 * for walls and dirty rooms, which belong to nobody. */
static inline uint32_t hall_owner_guest(uint32_t o)
{
	if (o == LAB_WALL || o == LAB_DIRTY || !o)
		return LAB_NONE;
	return lab_owner_guest(o & ~LAB_SCRUBBING);
}

static inline bool hall_map_is_set(struct lab_hall *h, uint32_t room)
{
	uint64_t w = atomic_load_explicit(&hall_map(h, room / LAB_DISTRICT_ROOMS)
					  [(room % LAB_DISTRICT_ROOMS) / 64],
					  memory_order_acquire);
	return w & (1ull << (room % 64));
}



#endif /* LAB_HALL_H */
