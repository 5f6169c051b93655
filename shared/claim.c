// SPDX-License-Identifier: MIT
/*
 * claim.c - claiming rooms, and the seed's allocpage entry point.
 *
 * State of a room: its map bit b and its owner word o; o is meaningful
 * only while b == 1.  Only the holder of a district sets bits in it;
 * whoever zeroed a room clears its bit (release.c, scrub.c, reap.c).  A
 * claim never returns a dirty room: it takes clear bits only, and the
 * bit of a released room is cleared only after its zeroing; it takes the
 * rooms its cursor released last (reuse.c) and the dirty rooms of its own
 * district before clean ones, zeroing them, and dirty ones anywhere when
 * no clean room is left (scrub.c).
 *
 * A claim, in the district the cursor holds:
 *   1. read the map word; a clear bit stays clear until we set it, since
 *      nobody else sets bits here;
 *   2. write o = (guest, vcpu) for each chosen room (plain atomic stores;
 *      the rooms are free, so o is not meaningful to anyone yet);
 *   3. fetch_or the chosen bits into the map word: the commit, the one
 *      atomic read-modify-write of the common case.
 *
 * Why a SIGKILL at any instruction neither leaks a room nor lets it be
 * owned twice:
 *   - killed before 3: the bits are still clear, the rooms free; the stale
 *     o is overwritten by the next claimer's step 2 before its commit.
 *   - killed after 3: b == 1 and o names the dead guest; the reaper (a
 *     survivor, after checking the lease is dead) scrubs and frees every
 *     room with b == 1 and guest(o) == dead, and takes back its district.
 *   - o and b can never disagree for a committed room: step 2 happens
 *     before the release-ordered commit, and a reader loads b (acquire)
 *     before o.  A dead guest writes nothing more, so "b == 1 and
 *     guest(o) == g" read by a reaper of g can only be g's own commit.
 * The free count (hall->free, count.c) is lowered before a claim takes
 * its rooms, in the step that decides how many it may take (budget.c);
 * it shows less than is free by the cursors' budgets (what they released
 * and have not given back yet); a killed cursor's is made good when its
 * lease is reaped.  Rooms are always found by the maps, never by the
 * count.
 */
#include "budget.h"
#include "claim.h"
#include "count.h"
#include "district.h"
#include "reuse.h"
#include "scrub.h"


static uint32_t reverse16(uint32_t x)
{
	x = (x & 0x5555) << 1 | (x >> 1 & 0x5555);
	x = (x & 0x3333) << 2 | (x >> 2 & 0x3333);
	x = (x & 0x0f0f) << 4 | (x >> 4 & 0x0f0f);
	return (x & 0x00ff) << 8 | (x >> 8 & 0x00ff);
}

/* Where the cursor's searches start (district.c says why it is fixed). */
static uint32_t cursor_home(uint32_t guest, uint32_t vcpu)
{
	return (reverse16(vcpu & 0xffff) + guest * 0x9e37u) & 0xffff;
}

static void cursor_init(struct lab_cur *cur, struct labyrinth *lab, uint32_t vcpu)
{
	bool leased = lab->guest < LAB_MAX_GUESTS && vcpu < LAB_MAX_VCPUS;

	cur->lab = lab;
	cur->owner = leased ? lab_owner(lab->guest, vcpu) : 0;
	cur->district = LAB_NONE;
	cur->word = 0;
	cur->home = leased ? cursor_home(lab->guest, vcpu) : 0;
	cur->rover = 0;
	cur->delta = 0;
	cur->borrowed = false;
	cur->reuse_top = cur->reuse_n = 0;
	cur->starving_seen = atomic_load_explicit(&lab->hall->starving,
						  memory_order_relaxed);
}

void lab_cursor_init(struct lab_cursor *pub, struct labyrinth *lab, uint32_t vcpu)
{
	cursor_init(lab_cur(pub), lab, vcpu);
}

uint32_t lab_cursor_owner(const struct lab_cursor *pub)
{
	return lab_cur_const(pub)->owner;
}

/* lab_claim_within() looks at the run's districts from first + home. */
void lab_cursor_restart(struct lab_cursor *pub)
{
	lab_cur(pub)->home = 0;
}

static void cursor_park(struct lab_cur *cur)
{
	if (cur->reuse_n)
		lab_reuse_flush(cur);
	lab_district_leave(cur);
	lab_count_flush(cur);
}

void lab_cursor_park(struct lab_cursor *cur)
{
	cursor_park(lab_cur(cur));
}

/* Someone starved: give our district back so they can have it. */
static void cursor_heed_starving(struct lab_cur *cur)
{
	uint32_t gen = atomic_load_explicit(&cur->lab->hall->starving,
					    memory_order_relaxed);

	if (gen != cur->starving_seen) {
		cur->starving_seen = gen;
		lab_district_leave(cur);
		lab_reuse_flush(cur);
	}
}


/* Claim from one map word: steps 1-3 above.  Returns rooms taken. */
static unsigned int claim_word(struct lab_cur *cur, uint32_t w,
			       unsigned int need, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	_Atomic uint64_t *word = &hall_map(h, cur->district)[w];
	uint64_t free = ~atomic_load_explicit(word, memory_order_relaxed);
	uint32_t base = cur->district * LAB_DISTRICT_ROOMS + w * 64;
	uint64_t mask = 0;
	unsigned int got = 0;

	while (free && got < need) {
		uint32_t bit = (uint32_t)__builtin_ctzll(free);

		free &= free - 1;
		mask |= 1ull << bit;
		atomic_store_explicit(hall_owner(h, base + bit), cur->owner,
				      memory_order_relaxed);
		rooms[got++] = base + bit;
	}
	if (mask)
		/* acq: see the releaser's scrub; rel: publish the owners */
		atomic_fetch_or_explicit(word, mask, memory_order_acq_rel);
	return got;
}

/* Claim up to @need rooms from the held district. */
unsigned int lab_claim_district(struct lab_cur *cur, unsigned int need,
				   uint32_t *rooms)
{
	unsigned int got = 0;

	for (uint32_t i = 0; i < LAB_WORDS && got < need; i++) {
		uint32_t w = (cur->word + i) % LAB_WORDS;

		got += claim_word(cur, w, need - got, rooms + got);
		cur->word = w;
	}
	return got;
}

/*
 * Undo a partial grant of an all-or-nothing claim.  Nobody but us ever saw
 * these rooms (they were never handed out), so they are as clean as when
 * we claimed them: no scrub.
 */
void lab_claim_undo(struct lab_cur *cur, const uint32_t *rooms, unsigned int n)
{
	struct lab_hall *h = cur->lab->hall;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t r = rooms[i];

		atomic_fetch_and(hall_room_map_word(h, r), ~(1ull << (r % 64)));
		lab_district_hint_set(h, r / LAB_DISTRICT_ROOMS);
	}
}

static const struct lab_floor no_floor;

static unsigned int claim(struct lab_cur *cur, unsigned int flags, uint32_t corridor,
			  unsigned int n, uint32_t *rooms, const struct lab_floor *floor)
{
	struct lab_hall *h = cur->lab->hall;
	/* The dirty rooms of the held district first (scrub.c: who zeroes). */
	bool reuse = cur->lab->pool && !cur->lab->scrub_at_release;
	unsigned int want, got = 0, again = 0;

	if (!cur->owner || n == 0 || n > LAB_HC_BATCH_MAX)
		return 0;
	if (corridor >= h->corridors)	/* no division on the way */
		corridor %= h->corridors;
	cursor_heed_starving(cur);
	if (cur->district != LAB_NONE &&
	    hall_corridor_of(h, cur->district) != corridor)
		lab_district_leave(cur);
	want = lab_budget_take(cur, flags, n, floor);
	if (want < n && (flags & LAB_ALL_OR_NOTHING))
		return 0;	/* the budget stays the cursor's */
	if (cur->reuse_n)
		got = lab_reuse_take(cur, corridor, want, rooms);
	while (got < want) {
		if (cur->district == LAB_NONE &&
		    !lab_district_hold(cur, corridor, flags)) {
			got += lab_scrub_claim(cur, corridor, flags, want - got,
					   rooms + got);
			/* A room the worker freed after our search and
			 * before our scrub was neither free nor dirty to
			 * us: look once more before giving up. */
			if (got < want && !again++ &&
			    lab_district_hold(cur, corridor, flags))
				continue;
			if (got < want)
				atomic_fetch_add(&h->starving, 1);
			break;
		}
		if (reuse)
			got += lab_scrub_held(cur, want - got, rooms + got);
		got += lab_claim_district(cur, want - got, rooms + got);
		if (got < want)
			lab_district_leave_full(cur);
	}
	if (got < n && (flags & LAB_ALL_OR_NOTHING)) {
		lab_claim_undo(cur, rooms, got);
		got = 0;
	}
	if (!cur->borrowed)	/* taken out of the count already */
		cur->delta -= (int32_t)got;
	return got;
}

unsigned int lab_claim(struct lab_cursor *cur, unsigned int flags,
		       uint32_t corridor, unsigned int n, uint32_t *rooms)
{
	return claim(lab_cur(cur), flags, corridor, n, rooms, &no_floor);
}

unsigned int lab_claim_floored(struct lab_cursor *cur, unsigned int flags,
			       uint32_t corridor, unsigned int n, uint32_t *rooms,
			       const struct lab_floor *floor)
{
	return claim(lab_cur(cur), flags, corridor, n, rooms, floor);
}

int lab_bind(struct labyrinth *lab, void *hall, void *pool, uint32_t guest)
{
	struct lab_hall *h = hall;

	if (h->magic != LAB_MAGIC || h->version != LAB_VERSION)
		return LAB_EPROTO;
	atomic_thread_fence(memory_order_acquire);
	lab->hall = h;
	lab->pool = pool;
	lab->guest = guest;
	atomic_flag_clear(&lab->page_busy);
	cursor_init(&lab->page_cursor, lab, 0);
	return 0;
}

uint32_t lab_rooms(const struct labyrinth *lab)
{
	return lab->hall->rooms;
}

void lab_claim_page_lease(struct labyrinth *lab, uint32_t guest)
{
	lab->guest = guest;
	cursor_init(&lab->page_cursor, lab, 0);
}

void lab_claim_page_park(struct labyrinth *lab)
{
	cursor_park(&lab->page_cursor);
}

uint32_t lab_guest_id(const struct labyrinth *lab)
{
	return lab->guest;
}

void lab_scrub_at_release(struct labyrinth *lab, bool on)
{
	lab->scrub_at_release = on;
}

/*
 * The seed's entry point, kept: one room for (guest, vcpu 0), may use the
 * reserve, fails hard (the only claim that calls the panic hook).  The page cursor is shared by the threads of this
 * handle, so it is guarded by a flag held for one claim (it never sleeps).
 */
void *lab_alloc_page_exclusive(struct labyrinth *lab)
{
	uint32_t room;
	unsigned int got;

	lab_page_lock(lab);
	got = claim(&lab->page_cursor, LAB_GFP_ATOMIC, 0, 1, &room, &no_floor);
	lab_page_unlock(lab);
	if (!got) {
		if (lab->panic)
			lab->panic(LAB_PANIC_OOM);
		return NULL;
	}
	return lab->pool + (size_t)room * LAB_ROOM_SIZE;
}
