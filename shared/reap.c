// SPDX-License-Identifier: MIT
/*
 * reap.c - taking back what a dead guest held: its rooms (scrubbed) and
 * its districts.  Knowing the guest is dead, and being the only reaper of
 * it, is the host's business (vmm/host/lease.c).
 *
 * Why "map bit set, then owner names g" proves the room is g's: owners are
 * written before the release-ordered commit and the reaper loads the map
 * word with acquire before the owner; g is dead, so nobody can write g into
 * an owner word any more; another claimer's later prewrite would replace g.
 * A room g's scrubber was zeroing (g | LAB_SCRUBBING) is g's as well.
 *
 * Dirty rooms belong to nobody and stay for the scrubbers, but the reaper
 * marks (dirty bit) and hints each one it passes: a release killed between
 * its steps (scrub.c) can have hidden one, and that process's guest is
 * dead, so it is reaped too.
 */
#include "count.h"
#include "district.h"
#include "scrub.h"
#include "zero.h"

static uint32_t reap_word(struct labyrinth *lab, uint32_t d, uint32_t w,
			  uint32_t guest, bool *dirty)
{
	struct lab_hall *h = lab->hall;
	_Atomic uint64_t *word = &hall_map(h, d)[w];
	uint64_t bits = atomic_load_explicit(word, memory_order_acquire);
	uint32_t freed = 0;

	while (bits) {
		uint32_t bit = (uint32_t)__builtin_ctzll(bits);
		uint32_t room = d * LAB_DISTRICT_ROOMS + w * 64 + bit;
		uint32_t o = atomic_load_explicit(hall_owner(h, room),
						  memory_order_relaxed);

		bits &= bits - 1;
		if (o == LAB_DIRTY) {	/* a killed release may have left it unmarked */
			atomic_fetch_or(&hall_dirty(h, d)[w], 1ull << bit);
			*dirty = true;
		}
		if (hall_owner_guest(o) != guest)
			continue;
		lab_zero_room(lab, room);
		/* A scrubber killed between its take and clearing the dirty
		 * bit left the bit: cleared before the room is free. */
		atomic_fetch_and(&hall_dirty(h, d)[w], ~(1ull << bit));
		atomic_fetch_and(word, ~(1ull << bit));
		freed++;
	}
	return freed;
}

/* Take back a district held by a cursor of the dead guest, lent to it, or
 * claimed whole by it (its rooms were freed above). */
static void reap_holder(struct lab_hall *h, uint32_t d, uint32_t guest)
{
	_Atomic uint16_t *holder = hall_holder(h, d);
	uint16_t g = atomic_load(holder);

	if ((g & LAB_HOLDER_GUEST) == guest + 1)
		atomic_compare_exchange_strong(holder, &g, 0);
}

uint32_t lab_reap_guest(struct labyrinth *lab, uint32_t guest)
{
	struct lab_hall *h = lab->hall;
	uint32_t freed = 0;

	for (uint32_t d = 0; d < h->districts; d++) {
		uint32_t here = 0;
		bool dirty = false;

		for (uint32_t w = 0; w < LAB_WORDS; w++)
			here += reap_word(lab, d, w, guest, &dirty);
		reap_holder(h, d, guest);
		if (here)
			lab_district_hint_set(h, d);
		if (dirty)
			lab_scrub_dirty_hint_set(h, d);
		freed += here;
	}
	lab_count_reap(h, guest);	/* not @freed: count.c says why */
	return freed;
}
