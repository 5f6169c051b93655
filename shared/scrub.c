// SPDX-License-Identifier: MIT
/*
 * scrub.c - zeroing dirty rooms, off the release path.
 *
 * A dirty room (map bit set, owner LAB_DIRTY) is never claimable.  A
 * scrubber takes it with one CAS of its owner word, LAB_DIRTY -> its own
 * code, so each dirty room is zeroed by one scrubber, and zeroes it:
 *   - the background worker (lab_scrub) takes it as owner|LAB_SCRUBBING,
 *     zeroes it, then frees it (room_set_free: clear the bit, free hint);
 *   - a claimer that found no clean room (scrub_claim) takes it as its own
 *     owner, zeroes it and returns it: the room goes from dirty to owned
 *     without ever being free.
 * Why a SIGKILL at any instruction leaves each room owned, dirty, or free
 * and zero: before the CAS the room is dirty; after it, the room is owned
 * by the scrubber's guest (flagged or not) until the bit is cleared after
 * the zeroing, so a dead scrubber's rooms are its guest's and its reaper
 * zeroes and frees them (reap.c); the bit is cleared only after the zeros
 * are stored (the fence in the zeroing, the seq_cst clear).
 *
 * Dirty hints say which districts may hold a dirty room.  Invariant: a
 * district with a dirty room has its hint set, except while a release or
 * a scrubber's scan is between its steps.  A Dekker pair again:
 *   release:  owner := DIRTY; fence (seq_cst); load hint; set if clear
 *   scrubber: clear hint (seq_cst RMW); fence; load owners, take DIRTY ones
 * so a room dirtied during a scan is either seen by it or hinted again.
 * A scrubber that stops early (it has enough) sets the hint again.  Only a
 * process killed between the steps can hide a dirty room, and then its
 * guest is dead: the reaper, which walks every room, hints it again.
 */
#include "hall.h"

void dirty_hint_set(struct lab_hall *h, uint32_t d)
{
	_Atomic uint64_t *w = hall_dirty_hint(h, d / 64);
	uint64_t bit = 1ull << (d % 64);

	if (!(atomic_load(w) & bit))
		atomic_fetch_or(w, bit);
}

/* Take dirty @room for @code; false if another scrubber was first. */
static bool dirty_take(struct lab_hall *h, uint32_t room, uint32_t code)
{
	uint32_t dirty = LAB_DIRTY;

	/* acquire: the releasing guest's last writes come before our zeros */
	return atomic_compare_exchange_strong_explicit(hall_owner(h, room),
						       &dirty, code,
						       memory_order_acquire,
						       memory_order_relaxed);
}

/*
 * Zero up to @max dirty rooms of district @d.  With @rooms, they become
 * @cur's (listed there); without, they are freed.  Returns how many.
 */
static unsigned int district_scrub(struct lab_cursor *cur, uint32_t d,
				   unsigned int max, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t code = rooms ? cur->owner : scrubbing_code(cur->owner);
	unsigned int got = 0;

	atomic_fetch_and(hall_dirty_hint(h, d / 64), ~(1ull << (d % 64)));
	atomic_thread_fence(memory_order_seq_cst);
	for (uint32_t w = 0; w < LAB_WORDS; w++) {
		uint64_t bits = atomic_load_explicit(&hall_map(h, d)[w],
						     memory_order_acquire);

		for (; bits; bits &= bits - 1) {
			uint32_t room = d * LAB_DISTRICT_ROOMS + w * 64 +
					(uint32_t)__builtin_ctzll(bits);

			if (atomic_load_explicit(hall_owner(h, room),
						 memory_order_relaxed) != LAB_DIRTY)
				continue;
			if (got == max) {	/* more left: keep it hinted */
				dirty_hint_set(h, d);
				return got;
			}
			if (!dirty_take(h, room, code))
				continue;
			room_zero(cur->lab, room);
			if (rooms)
				rooms[got] = room;
			else
				room_set_free(h, room);
			got++;
		}
	}
	return got;
}

/* Zero up to @max rooms of the hinted districts in [from, end). */
static unsigned int scrub_range(struct lab_cursor *cur, uint32_t from,
				uint32_t end, unsigned int max,
				uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	unsigned int got = 0;

	for (uint32_t d = from; d < end && got < max; d += 64 - d % 64) {
		uint64_t bits = atomic_load_explicit(hall_dirty_hint(h, d / 64),
						     memory_order_relaxed);

		bits &= ~0ull << (d % 64);
		while (bits && got < max) {
			uint32_t hit = d - d % 64 + (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (hit >= end)
				break;
			got += district_scrub(cur, hit, max - got,
					      rooms ? rooms + got : NULL);
		}
	}
	return got;
}

/* Corridor @c from the cursor's home, wrapping around once. */
static unsigned int scrub_corridor(struct lab_cursor *cur, uint32_t c,
				   unsigned int max, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t s = corridor_start(h, c), e = corridor_start(h, c + 1);
	uint32_t mid = district_home(h, cur, c);
	unsigned int got = scrub_range(cur, mid, e, max, rooms);

	return got + scrub_range(cur, s, mid, max - got,
				 rooms ? rooms + got : NULL);
}

/*
 * The claimer's last resort, when no district has a clean room: zero
 * dirty rooms itself, in the zonelist's order, and keep them.
 */
unsigned int scrub_claim(struct lab_cursor *cur, uint32_t corridor,
			 unsigned int flags, unsigned int n, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t tries = (flags & LAB_THISCORRIDOR) ? 1 : h->corridors;
	unsigned int got = 0;

	for (uint32_t i = 0; i < tries && got < n; i++)
		got += scrub_corridor(cur, (corridor + i) % h->corridors,
				      n - got, rooms + got);
	return got;
}

unsigned int lab_scrub(struct lab_cursor *cur, unsigned int max)
{
	struct lab_hall *h = cur->lab->hall;
	unsigned int got = 0;

	if (!cur->owner)
		return 0;
	for (uint32_t c = 0; c < h->corridors && got < max; c++)
		got += scrub_corridor(cur, c, max - got, NULL);
	return got;
}
