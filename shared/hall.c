// SPDX-License-Identifier: MIT
/*
 * hall.c - geometry, layout and formatting of the shared hall.
 */
#include "hall.h"

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static uint32_t districts_of(uint32_t rooms)
{
	return (rooms + LAB_DISTRICT_ROOMS - 1) / LAB_DISTRICT_ROOMS;
}

int lab_geometry_check(const struct lab_geometry *geo)
{
	if (!geo || geo->rooms == 0 || geo->rooms > LAB_MAX_ROOMS)
		return LAB_EINVAL;
	if (geo->corridors == 0 || geo->corridors > LAB_MAX_CORRIDORS ||
	    geo->corridors > districts_of(geo->rooms))
		return LAB_EINVAL;
	if (geo->reserve >= geo->rooms)
		return LAB_EINVAL;
	return 0;
}

/* Offsets of the five arrays; returns the total size. */
static uint64_t hall_layout(uint32_t districts, struct lab_hall *h)
{
	uint64_t off = align_up(sizeof(struct lab_hall), LAB_CACHELINE);

	h->off_holder = off;
	off = align_up(off + districts * sizeof(uint16_t), LAB_CACHELINE);
	h->off_hint = off;
	h->hint_lines = (districts + 63) / 64;
	off += (uint64_t)h->hint_lines * LAB_CACHELINE;
	h->off_map = off;
	off += (uint64_t)districts * LAB_WORDS * sizeof(uint64_t);
	h->off_dirty = off;
	off += (uint64_t)districts * LAB_WORDS * sizeof(uint64_t);
	h->off_owner = off;
	off += (uint64_t)districts * LAB_DISTRICT_ROOMS * sizeof(uint32_t);
	return align_up(off, LAB_ROOM_SIZE);
}

size_t lab_hall_size(const struct lab_geometry *geo)
{
	struct lab_hall h;

	if (lab_geometry_check(geo))
		return 0;
	return hall_layout(districts_of(geo->rooms), &h);
}

/* Rooms past the end of the last district are walls: claimed forever. */
static void hall_build_walls(struct lab_hall *h)
{
	uint32_t end = h->districts * LAB_DISTRICT_ROOMS;

	for (uint32_t r = h->rooms; r < end; r++) {
		atomic_store_explicit(hall_owner(h, r), LAB_WALL,
				      memory_order_relaxed);
		atomic_fetch_or_explicit(hall_room_map_word(h, r), 1ull << (r % 64),
					 memory_order_relaxed);
	}
}

int lab_hall_format(void *mem, const struct lab_geometry *geo)
{
	struct lab_hall *h = mem;
	int err = lab_geometry_check(geo);

	if (err)
		return err;
	if ((uintptr_t)mem % LAB_CACHELINE)
		return LAB_EINVAL;
	h->version = LAB_VERSION;
	h->rooms = geo->rooms;
	h->corridors = geo->corridors;
	h->reserve = geo->reserve;
	h->districts = districts_of(geo->rooms);
	h->size = hall_layout(h->districts, h);
	hall_build_walls(h);
	/* Every district has a free room: every hint set (district.c). */
	for (uint32_t d = 0; d < h->districts; d++)
		atomic_fetch_or_explicit(hall_hint(h, d / 64), 1ull << (d % 64),
					 memory_order_relaxed);
	atomic_store(&h->free, (int64_t)geo->rooms);
	/* Attachers check the magic last: a half-formatted hall is rejected. */
	atomic_thread_fence(memory_order_release);
	h->magic = LAB_MAGIC;
	return 0;
}

/* Rooms past the last stand as walls (claimed forever, owner LAB_WALL):
 * without them a claim would hand out rooms beyond the pool, that is the
 * hall itself.  Addressed through @ref, the layout recomputed here. */
static bool walls_stand(const struct lab_hall *hall, const struct lab_hall *ref,
			uint32_t rooms, uint32_t districts)
{
	char *base = (char *)hall;

	for (uint32_t r = rooms; r < districts * LAB_DISTRICT_ROOMS; r++) {
		_Atomic uint64_t *map = (_Atomic uint64_t *)(base + ref->off_map) +
			(size_t)(r / LAB_DISTRICT_ROOMS) * LAB_WORDS +
			(r % LAB_DISTRICT_ROOMS) / 64;
		_Atomic uint32_t *owner = (_Atomic uint32_t *)(base + ref->off_owner) + r;

		if (!((atomic_load(map) >> (r % 64)) & 1) ||
		    atomic_load(owner) != LAB_WALL)
			return false;
	}
	return true;
}

/*
 * The hall lives in a file other processes write: nothing in it is used
 * before it matches what its geometry implies.  Each field is read once
 * (volatile), so the checks judge the values the caller will see next.
 * Offsets are not checked for range but recomputed and compared: a hall
 * whose offsets differ from its own layout is corrupt even if they fit.
 */
int lab_hall_check(const struct lab_hall *hall, uint64_t hall_len,
		   uint64_t rooms)
{
	const volatile struct lab_hall *v = hall;
	struct lab_geometry geo = { v->rooms, v->corridors, v->reserve };
	struct lab_hall ref;

	if (v->magic != LAB_MAGIC || v->version != LAB_VERSION)
		return LAB_EPROTO;
	if (lab_geometry_check(&geo) || geo.rooms != rooms ||
	    v->districts != districts_of(geo.rooms))
		return LAB_EPROTO;
	ref.size = hall_layout(districts_of(geo.rooms), &ref);
	if (v->size != ref.size || ref.size != hall_len ||
	    v->hint_lines != ref.hint_lines ||
	    v->off_holder != ref.off_holder || v->off_hint != ref.off_hint ||
	    v->off_map != ref.off_map || v->off_owner != ref.off_owner ||
	    v->off_dirty != ref.off_dirty)
		return LAB_EPROTO;
	if (!walls_stand(hall, &ref, geo.rooms, districts_of(geo.rooms)))
		return LAB_EPROTO;
	return 0;
}
