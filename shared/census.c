// SPDX-License-Identifier: MIT
/*
 * census.c - counting rooms for INFO: exact, from the maps, never from the
 * free-count estimate.  O(rooms); not for the claim path.  Dirty rooms
 * (and rooms being zeroed) count as free: a claim gets them, zeroing them
 * itself if no clean room is left.
 */
#include "handle.h"

/* Walls (rooms past the end) are set bits: subtract them from capacity. */
static uint32_t corridor_rooms(struct lab_hall *h, uint32_t c)
{
	uint32_t s = hall_corridor_start(h, c), e = hall_corridor_start(h, c + 1);
	uint32_t rooms = (e - s) * LAB_DISTRICT_ROOMS;

	if (e == h->districts)
		rooms -= h->districts * LAB_DISTRICT_ROOMS - h->rooms;
	return rooms;
}

/*
 * One map word: its clear rooms and its released ones (dirty or being
 * zeroed) are free, the others owned or walls.  Both from one load of the
 * word, so a room the scrubber frees meanwhile is counted once: counting
 * the released rooms and the clear ones in two passes counted it twice
 * (or a claim between them not at all), and INFO's free count wavered.
 */
static void census_word(struct lab_hall *h, uint32_t d, uint32_t w, uint32_t k,
			struct lab_census *c)
{
	uint64_t bits = atomic_load(&hall_map(h, d)[w]);

	c->corridor_free[k] += (uint32_t)__builtin_popcountll(~bits);
	for (; bits; bits &= bits - 1) {
		uint32_t r = d * LAB_DISTRICT_ROOMS + w * 64 + (uint32_t)__builtin_ctzll(bits);
		uint32_t o = atomic_load_explicit(hall_owner(h, r), memory_order_relaxed);
		uint32_t g = hall_owner_guest(o);

		if (hall_owner_released(o)) {
			c->corridor_free[k]++;
			c->dirty++;
		} else if (g < LAB_MAX_GUESTS) {
			c->guest_rooms[g]++;
		}
	}
}

bool lab_room_free(const struct labyrinth *lab, uint32_t room)
{
	return room < lab->hall->rooms && !hall_map_is_set(lab->hall, room);
}

/* A claim writes the owner word before it commits the bit (claim.c), and
 * nothing writes 0 there afterwards: a set bit over 0 is a claim lost. */
bool lab_room_orphaned(const struct labyrinth *lab, uint32_t room)
{
	return room < lab->hall->rooms && hall_map_is_set(lab->hall, room) &&
	       !atomic_load_explicit(hall_owner(lab->hall, room), memory_order_relaxed);
}

void lab_tally_read(const struct labyrinth *lab, uint32_t guest,
		    uint64_t *claimed, uint64_t *released, uint64_t *refused)
{
	const struct lab_tally *t;

	*claimed = *released = *refused = 0;
	if (guest >= LAB_MAX_GUESTS)
		return;
	t = &lab->hall->lease[guest].tally;
	*claimed = atomic_load_explicit(&t->claimed, memory_order_relaxed);
	*released = atomic_load_explicit(&t->released, memory_order_relaxed);
	*refused = atomic_load_explicit(&t->refused, memory_order_relaxed);
}

uint64_t lab_tally_limited(const struct labyrinth *lab, uint32_t guest)
{
	if (guest >= LAB_MAX_GUESTS)
		return 0;
	return atomic_load_explicit(&lab->hall->lease[guest].tally.limited,
				    memory_order_relaxed);
}

void lab_census(const struct labyrinth *lab, struct lab_census *c)
{
	struct lab_hall *h = lab->hall;

	*c = (struct lab_census){ 0 };
	c->rooms = h->rooms;
	c->reserved = h->reserve;
	c->corridors = h->corridors;
	for (uint32_t k = 0; k < h->corridors; k++) {
		uint32_t s = hall_corridor_start(h, k), e = hall_corridor_start(h, k + 1);

		c->corridor_rooms[k] = corridor_rooms(h, k);
		for (uint32_t d = s; d < e; d++)
			for (uint32_t w = 0; w < LAB_WORDS; w++)
				census_word(h, d, w, k, c);
		c->free += c->corridor_free[k];
	}
	c->claimed = c->rooms - c->free;
}
