// SPDX-License-Identifier: MIT
/*
 * reuse.c - the rooms a cursor released last, zeroed by its next claim.
 *
 * A guest that frees and allocates (steady churn) gets back, as
 * Linux's per-CPU lists give back, the pages it freed last: each cursor
 * keeps up to LAB_REUSE of the rooms it released, newest first, and its
 * claims take them before anything else, zeroing each as they take it.
 * So the zeroing costs what it cost inside the release (the room is
 * still in this CPU's caches), but is off the release, and finding a
 * dirty room costs nothing: no map, no scan, no atomic read-modify-write
 * at all (a release into the magazine is one store per room, a claim out
 * of it one store and the zeros; zeroing at release makes two RMWs).
 *
 * A room in the magazine is still its guest's: map bit set, owner word
 * hall_scrubbing_code(cursor) (released, as hall_owner_released() says: no
 * release again, no owner, counted dirty by census.c), so a process
 * killed at any instruction leaves it to its guest's reaper, which
 * zeroes and frees it (reap.c).  Nobody else can take it: what the
 * magazine holds is out of other claimers' reach, bounded to LAB_REUSE
 * rooms per cursor, and given up (made dirty for every scrubber,
 * release.c's way) when the magazine overflows, when its cursor parks,
 * and when a claim somewhere starved (claim.c), as a held district is.
 */
#include "reuse.h"
#include "scrub.h"
#include "zero.h"

void lab_reuse_put(struct lab_cur *cur, const uint32_t *rooms, unsigned int n)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t code = hall_scrubbing_code(cur->owner);
	uint32_t spill[LAB_REUSE];
	unsigned int spilled = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t slot = (cur->reuse_top + i) % LAB_REUSE;

		atomic_store_explicit(hall_owner(h, rooms[i]), code,
				      memory_order_relaxed);
		if (cur->reuse_n + i >= LAB_REUSE) {	/* the oldest goes */
			spill[spilled++] = cur->reuse[slot];
			if (spilled == LAB_REUSE) {
				lab_scrub_dirty_make(h, spill, spilled);
				spilled = 0;
			}
		}
		cur->reuse[slot] = rooms[i];
	}
	if (spilled)
		lab_scrub_dirty_make(h, spill, spilled);
	cur->reuse_top = (cur->reuse_top + n) % LAB_REUSE;
	cur->reuse_n = cur->reuse_n + n < LAB_REUSE ? cur->reuse_n + n : LAB_REUSE;
}

/* Up to @n rooms of corridor @corridor, newest first, zeroed, ours. */
unsigned int lab_reuse_take(struct lab_cur *cur, uint32_t corridor,
			unsigned int n, uint32_t *rooms)
{
	struct lab_hall *h = cur->lab->hall;
	unsigned int got = 0;

	while (got < n && cur->reuse_n) {
		uint32_t top = (cur->reuse_top + LAB_REUSE - 1) % LAB_REUSE;
		uint32_t room = cur->reuse[top];

		/* another corridor's room waits for a claim there */
		if (h->corridors > 1 &&
		    hall_corridor_of(h, room / LAB_DISTRICT_ROOMS) != corridor)
			break;
		cur->reuse_top = top;
		cur->reuse_n--;
		lab_zero_room(cur->lab, room);
		/* the zeros before the owner word, as a scrubber frees */
		atomic_store_explicit(hall_owner(h, room), cur->owner,
				      memory_order_release);
		rooms[got++] = room;
	}
	return got;
}

void lab_reuse_flush(struct lab_cur *cur)
{
	uint32_t spill[LAB_REUSE];
	unsigned int n = 0;

	for (; cur->reuse_n; cur->reuse_n--) {
		cur->reuse_top = (cur->reuse_top + LAB_REUSE - 1) % LAB_REUSE;
		spill[n++] = cur->reuse[cur->reuse_top];
	}
	if (n)
		lab_scrub_dirty_make(cur->lab->hall, spill, n);
}
