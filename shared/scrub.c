// SPDX-License-Identifier: MIT
/*
 * scrub.c - zeroing dirty rooms, off the release path.
 *
 * A dirty room (map bit set, owner LAB_DIRTY) is never claimable.  A
 * scrubber takes it with one CAS of its owner word, LAB_DIRTY -> its own
 * code, so each dirty room is zeroed by one scrubber, and zeroes it:
 *   - the background worker (lab_scrub) takes it as owner|LAB_SCRUBBING,
 *     zeroes it, then frees it (lab_district_room_open: clear the bit, free hint);
 *   - a claimer that found no clean room (lab_scrub_claim) takes it as its own
 *     owner, zeroes it and returns it: the room goes from dirty to owned
 *     without ever being free.
 * Why a SIGKILL at any instruction leaves each room owned, dirty, or free
 * and zero: before the CAS the room is dirty; after it, the room is owned
 * by the scrubber's guest (flagged or not) until the map bit is cleared
 * after the zeroing, so a dead scrubber's rooms are its guest's and its
 * reaper zeroes and frees them (reap.c); the map bit is cleared only
 * after the zeros are stored (the fence in the zeroing, the seq_cst clear).
 *
 * Finding them is O(1) a room: the release sets the room's bit in its
 * district's dirty map (hall.h) after the owner word says LAB_DIRTY, the
 * scrubber that took it clears it; a scrubber reads eight words of a
 * district, not 512 owner words.  The owner word decides: a set bit whose
 * room is no longer LAB_DIRTY is a take in progress (or a killed
 * scrubber's, which its reaper clears), and the CAS fails on it.  Every
 * LAB_DIRTY room has its bit set, except while lab_scrub_dirty_make() is between
 * its steps; a process killed there is reaped (reap.c sets the bit).
 *
 * Dirty hints say which districts may have a set dirty bit.  Invariant:
 * a district with one has its hint set, except while lab_scrub_dirty_make() is
 * between its steps.  A Dekker pair, as district.c's for free rooms:
 *   dirty_make: set dirty bit (seq_cst RMW); load hint; set it if clear
 *   scrubber: clear hint (seq_cst RMW); load the dirty map; set if any
 * and a scrubber clears a hint only after it saw the map empty.  So a
 * district's dirty rooms stay findable while a scrubber walks it: the
 * worker clearing the hint first, then zeroing the rooms one by one, hid
 * every other dirty room of the district from claimers meanwhile, and a
 * claim with nothing clean left failed while rooms were dirty.
 *
 * Who zeroes.  A claimer takes the rooms its cursor released last first
 * (reuse.c), then the dirty rooms of the district it holds (lab_scrub_held,
 * before clean ones: released there a moment ago, still in its caches),
 * and dirty rooms anywhere when nothing clean is left (lab_scrub_claim).  The
 * worker (lab_scrub) leaves held districts to their holders, so it never
 * races a claimer for rooms it is about to reuse, and zeroes what nobody
 * holds: rooms released and not taken back.
 */
#include "district.h"
#include "scrub.h"
#include "zero.h"

void lab_scrub_dirty_hint_set(struct lab_hall *h, uint32_t d)
{
	_Atomic uint64_t *w = hall_dirty_hint(h, d / 64);
	uint64_t bit = 1ull << (d % 64);

	if (!(atomic_load(w) & bit))
		atomic_fetch_or(w, bit);
}

/*
 * Every owner word first (release order: a scrubber that takes the room
 * sees the guest's last writes before it zeroes), then the dirty maps and
 * hints: the releaser's half of the Dekker pair above.
 */
void lab_scrub_dirty_make(struct lab_hall *h, const uint32_t *rooms, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		atomic_store_explicit(hall_owner(h, rooms[i]), LAB_DIRTY,
				      memory_order_release);
	lab_scrub_dirty_mark(h, rooms, n);
}

void lab_scrub_dirty_mark(struct lab_hall *h, const uint32_t *rooms, unsigned int n)
{
	for (unsigned int i = 0; i < n;) {
		uint32_t d = rooms[i] / LAB_DISTRICT_ROOMS;
		uint32_t w = rooms[i] % LAB_DISTRICT_ROOMS / 64;
		uint64_t mask = 0;

		/* one RMW per run of rooms in the same word */
		for (; i < n && rooms[i] / 64 == d * LAB_WORDS + w; i++)
			mask |= 1ull << (rooms[i] % 64);
		atomic_fetch_or(&hall_dirty(h, d)[w], mask);
		if (i == n || rooms[i] / LAB_DISTRICT_ROOMS != d)
			lab_scrub_dirty_hint_set(h, d);
	}
}

static bool district_dirty(struct lab_hall *h, uint32_t d)
{
	for (uint32_t w = 0; w < LAB_WORDS; w++)
		if (atomic_load(&hall_dirty(h, d)[w]))
			return true;
	return false;
}

/* Clear the hint of a district whose dirty map we saw empty. */
static void dirty_hint_clear(struct lab_hall *h, uint32_t d)
{
	atomic_fetch_and(hall_dirty_hint(h, d / 64), ~(1ull << (d % 64)));
	if (district_dirty(h, d))
		lab_scrub_dirty_hint_set(h, d);
}

/*
 * Take up to @max dirty rooms of word @w of district @d for @code (CAS of
 * each owner word; acquire: the releasing guest's last writes come
 * before our zeros), clear their bits, zero them.  With @rooms they are
 * listed there (the claimer keeps them), else freed.  Returns how many.
 */
static unsigned int dirty_take_word(struct lab_cur *cur, uint32_t d,
				    uint32_t w, unsigned int max,
				    uint32_t code, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	_Atomic uint64_t *word = &hall_dirty(h, d)[w];
	uint64_t bits = atomic_load_explicit(word, memory_order_relaxed);
	uint32_t base = d * LAB_DISTRICT_ROOMS + w * 64;
	uint32_t took[64];
	uint64_t mask = 0;
	unsigned int got = 0;

	for (; bits && got < max; bits &= bits - 1) {
		uint32_t room = base + (uint32_t)__builtin_ctzll(bits);
		uint32_t dirty = LAB_DIRTY;

		/* a load first: a bit another scrubber is taking fails here */
		if (atomic_load_explicit(hall_owner(h, room),
					 memory_order_relaxed) == LAB_DIRTY &&
		    atomic_compare_exchange_strong_explicit(hall_owner(h, room),
							    &dirty, code,
							    memory_order_acquire,
							    memory_order_relaxed)) {
			mask |= 1ull << (room % 64);
			took[got++] = room;
		}
	}
	if (!mask)
		return 0;
	atomic_fetch_and(word, ~mask);
	for (unsigned int i = 0; i < got; i++) {
		lab_zero_room(cur->lab, took[i]);
		if (rooms)
			rooms[i] = took[i];
		else
			lab_district_room_open(h, took[i]);
	}
	return got;
}

/*
 * Zero up to @max dirty rooms of district @d (as dirty_take_word).  The
 * worker takes one room at a time: a room it holds is neither dirty nor
 * free to anyone else, and a worker preempted (nice +10) holding a batch
 * would hide the batch from claimers for its whole time off the CPU.
 */
static unsigned int district_scrub(struct lab_cur *cur, uint32_t d,
				   unsigned int max, uint32_t *rooms)
{
	uint32_t code = rooms ? cur->owner : hall_scrubbing_code(cur->owner);
	unsigned int got = 0;

	for (uint32_t w = 0; w < LAB_WORDS && got < max;) {
		unsigned int k = dirty_take_word(cur, d, w, rooms ? max - got : 1,
						 code, rooms ? rooms + got : NULL);

		got += k;
		if (!k || rooms)
			w++;
	}
	return got;
}

unsigned int lab_scrub_held(struct lab_cur *cur, unsigned int n, uint32_t *rooms)
{
	return district_scrub(cur, cur->district, n, rooms);
}

/* A hinted district: scrub it, and clear its hint if it is left clean.
 * The worker leaves a district a cursor holds to its holder. */
static unsigned int hinted_scrub(struct lab_cur *cur, uint32_t d,
				 unsigned int max, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	unsigned int got;

	if (!rooms && atomic_load_explicit(hall_holder(h, d), memory_order_relaxed))
		return 0;
	got = district_scrub(cur, d, max, rooms);
	if (got < max && !district_dirty(h, d))
		dirty_hint_clear(h, d);
	return got;
}

/* Zero up to @max rooms of the hinted districts in [from, end). */
static unsigned int scrub_range(struct lab_cur *cur, uint32_t from,
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
			got += hinted_scrub(cur, hit, max - got,
					    rooms ? rooms + got : NULL);
		}
	}
	return got;
}

/* Corridor @c from the cursor's home, wrapping around once. */
static unsigned int scrub_corridor(struct lab_cur *cur, uint32_t c,
				   unsigned int max, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t s = hall_corridor_start(h, c), e = hall_corridor_start(h, c + 1);
	uint32_t mid = lab_district_home(h, cur, c);
	unsigned int got = scrub_range(cur, mid, e, max, rooms);

	return got + scrub_range(cur, s, mid, max - got,
				 rooms ? rooms + got : NULL);
}

/*
 * The claimer's last resort, when no district has a clean room: zero
 * dirty rooms itself, in the zonelist's order, and keep them.
 */
unsigned int lab_scrub_claim(struct lab_cur *cur, uint32_t corridor,
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

unsigned int lab_scrub(struct lab_cursor *pub, unsigned int max)
{
	struct lab_cur *cur = lab_cur(pub);
	struct lab_hall *h = cur->lab->hall;
	unsigned int got = 0;

	if (!cur->owner)
		return 0;
	for (uint32_t c = 0; c < h->corridors && got < max; c++)
		got += scrub_corridor(cur, c, max - got, NULL);
	return got;
}
