// SPDX-License-Identifier: MIT
/*
 * release.c - releasing rooms: owner check, then the room turns dirty.
 *
 * A release validates the whole batch before touching anything, so every
 * error leaves the labyrinth as it was.  Only the owner releases a room
 * and an owner is one thread, so what was validated stays true until the
 * commit.
 *
 * The commit is one store per room: owner := the releasing cursor's
 * scrubbing code, with the map bit left set: the room is released (no
 * owner, no release again) and waits in the cursor's magazine for its
 * next claim, which zeroes it (reuse.c); a room the magazine gives up
 * turns dirty for every scrubber (scrub.c).  Either way zeroing is off
 * the guest's exit.  A release killed at any instruction leaves each of
 * its rooms owned by the dead guest (the reaper zeroes and frees those)
 * or dirty.  A killed spill may leave a dirty room without its dirty bit
 * or hint; the reaper of that dead guest walks every room and marks it
 * again.
 *
 * A room of a district claimed whole is refused (LAB_EBUSY): such a
 * district is released whole (whole.c), never half.
 *
 * Without a pool there is nothing to zero, and with lab->scrub_at_release
 * the caller asked for the old way: zero while still owned, then free.
 */
#include "claim.h"
#include "count.h"
#include "district.h"
#include "reuse.h"
#include "zero.h"

#define DUP_SLOTS	1024	/* 2 * LAB_HC_BATCH_MAX, a power of two */
_Static_assert(DUP_SLOTS >= 2 * LAB_HC_BATCH_MAX, "batch_unique's table");

uint32_t lab_room_owner(const struct labyrinth *lab, uint32_t room)
{
	struct lab_hall *h = lab->hall;
	uint32_t o;

	if (room >= h->rooms)
		return LAB_NONE;
	if (!hall_map_is_set(h, room))
		return 0;
	o = atomic_load_explicit(hall_owner(h, room), memory_order_relaxed);
	return hall_owner_released(o) ? 0 : o;
}

/* @mask picks what must match: the whole owner, or its guest part. */
static int room_check(struct lab_cur *cur, uint32_t room, uint32_t mask)
{
	struct lab_hall *h = cur->lab->hall;
	uint32_t o;

	if (room >= h->rooms)
		return LAB_ERANGE;
	if (!hall_map_is_set(h, room))
		return LAB_EALREADY;
	o = atomic_load_explicit(hall_owner(h, room), memory_order_relaxed);
	if (hall_owner_released(o))
		return LAB_EALREADY;	/* released, not zeroed yet */
	if ((o ^ cur->owner) & mask)
		return LAB_EPERM;
	if (hall_district_whole(h, room / LAB_DISTRICT_ROOMS))
		return LAB_EBUSY;	/* released whole or not at all (whole.c) */
	return 0;
}

/*
 * A room listed twice would be freed twice: the second is "already free".
 * A hash set of 2 * n slots or more (a power of two, so at most half
 * full): a batch of 64 clears 512 bytes, not the largest batch's 4 KiB.
 * Not called for a single room (release_rooms).
 */
static int batch_unique(const uint32_t *rooms, unsigned int n)
{
	uint32_t set[DUP_SLOTS];
	uint32_t slots = 8;

	while (slots < 2 * n)
		slots *= 2;
	for (uint32_t i = 0; i < slots; i++)
		set[i] = LAB_NONE;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t s = rooms[i] * 2654435761u & (slots - 1);

		while (set[s] != LAB_NONE && set[s] != rooms[i])
			s = (s + 1) & (slots - 1);
		if (set[s] == rooms[i])
			return LAB_EALREADY;
		set[s] = rooms[i];
	}
	return 0;
}

/* The old way: zero while still owned (a kill leaves it owned), free. */
static void release_zeroed(struct lab_cur *cur, const uint32_t *rooms,
			   unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		lab_zero_room(cur->lab, rooms[i]);
		lab_district_room_open(cur->lab->hall, rooms[i]);
		/* Our next claim looks where we just made space. */
		if (rooms[i] / LAB_DISTRICT_ROOMS == cur->district)
			cur->word = rooms[i] % LAB_DISTRICT_ROOMS / 64;
	}
}

static int release_rooms(struct lab_cur *cur, const uint32_t *rooms,
			 unsigned int n, uint32_t mask)
{
	struct labyrinth *lab = cur->lab;
	int err;

	if (n > LAB_HC_BATCH_MAX)
		return LAB_EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		err = room_check(cur, rooms[i], mask);
		if (err)
			return err;
	}
	err = n > 1 ? batch_unique(rooms, n) : 0;
	if (err)
		return err;
	if (!lab->pool || lab->scrub_at_release)
		release_zeroed(cur, rooms, n);
	else
		lab_reuse_put(cur, rooms, n);	/* our next claim zeroes them */
	/* Dirty rooms count as free: a claimer zeroes them if it must. */
	lab_count_account(cur, (int32_t)n);
	return 0;
}

int lab_release(struct lab_cursor *cur, const uint32_t *rooms,
		unsigned int n)
{
	return release_rooms(lab_cur(cur), rooms, n, UINT32_MAX);
}

int lab_release_guest(struct lab_cursor *cur, const uint32_t *rooms,
		      unsigned int n)
{
	return release_rooms(lab_cur(cur), rooms, n, LAB_OWNER_GUEST_MASK);
}

static int release_page(struct lab_cur *cur, void *page)
{
	struct labyrinth *lab = cur->lab;
	uintptr_t base = (uintptr_t)lab->pool, p = (uintptr_t)page;
	uint32_t room;

	if (p < base || p - base >= (uintptr_t)lab->hall->rooms * LAB_ROOM_SIZE)
		return LAB_ERANGE;
	if ((p - base) % LAB_ROOM_SIZE)
		return LAB_EINVAL;
	room = (uint32_t)((p - base) / LAB_ROOM_SIZE);
	return release_rooms(cur, &room, 1, UINT32_MAX);
}

int lab_release_page(struct lab_cursor *cur, void *page)
{
	return release_page(lab_cur(cur), page);
}

/* The seed's companion: a bad page is fatal, as a double free would be. */
void lab_free_page_exclusive(struct labyrinth *lab, void *page)
{
	int err;

	lab_page_lock(lab);
	err = release_page(&lab->page_cursor, page);
	lab_page_unlock(lab);
	if (err && lab->panic)
		lab->panic(LAB_PANIC_FREE);
}
