// SPDX-License-Identifier: MIT
/*
 * release.c - releasing rooms: owner check, scrub, then free.
 *
 * A release validates the whole batch before touching anything, so every
 * error leaves the labyrinth as it was.  Only the owner releases a room
 * and an owner is one thread, so what was validated stays true until the
 * commit.  The scrub happens while the room is still owned: a claimer
 * can never see the old contents, and a release killed mid-scrub leaves
 * the room owned by a dead guest, which the reaper scrubs again.
 */
#include "hall.h"

#define DUP_SLOTS	1024	/* > 2 * LAB_MAX_BATCH: a sparse hash set */

/* Zero one room; no libc here, and no memset call either. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void room_scrub(struct labyrinth *lab, uint32_t room)
{
	uint64_t *p;

	if (!lab->pool)	/* a metadata-only labyrinth (benchmarks) */
		return;
	p = (uint64_t *)(lab->pool + (size_t)room * LAB_ROOM_SIZE);
	for (uint32_t i = 0; i < LAB_ROOM_SIZE / sizeof(*p); i++)
		p[i] = 0;
}

uint32_t lab_room_owner(const struct labyrinth *lab, uint32_t room)
{
	struct lab_hall *h = lab->hall;

	if (room >= h->rooms)
		return LAB_NONE;
	if (!map_is_set(h, room))
		return 0;
	return atomic_load_explicit(hall_owner(h, room), memory_order_relaxed);
}

/* @mask picks what must match: the whole owner, or its guest part. */
static int room_check(struct lab_cursor *cur, uint32_t room, uint32_t mask)
{
	struct lab_hall *h = cur->lab->hall;

	if (room >= h->rooms)
		return LAB_ERANGE;
	if (!map_is_set(h, room))
		return LAB_EALREADY;
	if ((atomic_load_explicit(hall_owner(h, room), memory_order_relaxed) ^
	     cur->owner) & mask)
		return LAB_EPERM;
	return 0;
}

/* A room listed twice would be freed twice: the second is "already free". */
static int batch_unique(const uint32_t *rooms, unsigned int n)
{
	uint32_t set[DUP_SLOTS];

	if (n < 2)
		return 0;
	for (unsigned int i = 0; i < DUP_SLOTS; i++)
		set[i] = LAB_NONE;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t s = rooms[i] * 2654435761u % DUP_SLOTS;

		while (set[s] != LAB_NONE && set[s] != rooms[i])
			s = (s + 1) % DUP_SLOTS;
		if (set[s] == rooms[i])
			return LAB_EALREADY;
		set[s] = rooms[i];
	}
	return 0;
}

/*
 * The commit: clear the map bit.  Then the release half of the Dekker pair
 * of district.c, so a searcher that just gave up on this district sees it.
 */
static void room_free(struct lab_hall *h, uint32_t room)
{
	uint32_t d = room / LAB_DISTRICT_ROOMS;

	atomic_fetch_and(&hall_map(h, d)[(room % LAB_DISTRICT_ROOMS) / 64],
			 ~(1ull << (room % 64)));
	district_hint_set(h, d);
}

static int release_rooms(struct lab_cursor *cur, const uint32_t *rooms,
			 unsigned int n, uint32_t mask)
{
	struct labyrinth *lab = cur->lab;
	int err;

	if (n > LAB_MAX_BATCH)
		return LAB_EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		err = room_check(cur, rooms[i], mask);
		if (err)
			return err;
	}
	err = batch_unique(rooms, n);
	if (err)
		return err;
	for (unsigned int i = 0; i < n; i++) {
		room_scrub(lab, rooms[i]);
		room_free(lab->hall, rooms[i]);
		/* Our next claim looks where we just made space. */
		if (rooms[i] / LAB_DISTRICT_ROOMS == cur->district)
			cur->word = rooms[i] % LAB_DISTRICT_ROOMS / 64;
	}
	cursor_account(cur, (int32_t)n);
	return 0;
}

int lab_release(struct lab_cursor *cur, const uint32_t *rooms,
		unsigned int n)
{
	return release_rooms(cur, rooms, n, UINT32_MAX);
}

int lab_release_guest(struct lab_cursor *cur, const uint32_t *rooms,
		      unsigned int n)
{
	return release_rooms(cur, rooms, n, LAB_OWNER_GUEST_MASK);
}

int lab_release_page(struct lab_cursor *cur, void *page)
{
	struct labyrinth *lab = cur->lab;
	uintptr_t base = (uintptr_t)lab->pool, p = (uintptr_t)page;
	uint32_t room;

	if (p < base || p - base >= (uintptr_t)lab->hall->rooms * LAB_ROOM_SIZE)
		return LAB_ERANGE;
	if ((p - base) % LAB_ROOM_SIZE)
		return LAB_EINVAL;
	room = (uint32_t)((p - base) / LAB_ROOM_SIZE);
	return lab_release(cur, &room, 1);
}

/* The seed's companion: a bad page is fatal, as a double free would be. */
void lab_free_page_exclusive(struct labyrinth *lab, void *page)
{
	int err;

	seed_lock(lab);
	err = lab_release_page(&lab->seed_cursor, page);
	seed_unlock(lab);
	if (err && lab->panic)
		lab->panic(LAB_PANIC_FREE);
}
