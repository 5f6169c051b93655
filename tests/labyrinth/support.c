// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "support.h"

struct heap_lab {
	struct labyrinth lab;
	size_t hall_len;
	size_t pool_len;
	bool owns;
	bool mapped;	/* shared with forked children */
};

struct labyrinth *heap_lab(uint32_t rooms, uint32_t corridors,
			    uint32_t reserve, bool with_pool)
{
	struct lab_geometry geo = { rooms, corridors, reserve };
	struct heap_lab *hm = calloc(1, sizeof(*hm));
	void *hall, *pool = NULL;

	hm->hall_len = lab_hall_size(&geo);
	if (!hm->hall_len)
		abort();
	hall = aligned_alloc(4096, hm->hall_len);
	memset(hall, 0, hm->hall_len);
	if (with_pool) {
		hm->pool_len = (size_t)rooms * LAB_ROOM_SIZE;
		pool = aligned_alloc(4096, hm->pool_len);
		memset(pool, 0xa5, hm->pool_len);	/* dirty: scrub shows */
	}
	if (lab_hall_format(hall, &geo) || lab_bind(&hm->lab, hall, pool, 0))
		abort();
	hm->owns = true;
	return &hm->lab;
}

struct labyrinth *heap_lab_guest(struct labyrinth *lab, uint32_t guest)
{
	struct heap_lab *hm = calloc(1, sizeof(*hm));

	*hm = *(struct heap_lab *)lab;
	hm->owns = false;
	hm->mapped = false;
	lab_bind(&hm->lab, lab->hall, lab->pool, guest);
	return &hm->lab;
}

/* Shared anonymous memory: children forked later use the same rooms. */
static void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	return p;
}

struct labyrinth *shared_lab(uint32_t rooms, uint32_t corridors)
{
	return shared_lab_reserve(rooms, corridors, 0);
}

struct labyrinth *shared_lab_reserve(uint32_t rooms, uint32_t corridors,
				     uint32_t reserve)
{
	struct lab_geometry geo = { rooms, corridors, reserve };
	struct heap_lab *hm = shared_alloc(sizeof(*hm));
	void *hall, *pool;

	hm->hall_len = lab_hall_size(&geo);
	hm->pool_len = (size_t)rooms * LAB_ROOM_SIZE;
	hall = shared_alloc(hm->hall_len);
	pool = shared_alloc(hm->pool_len);	/* zero, as a fresh file is */
	if (lab_hall_format(hall, &geo) || lab_bind(&hm->lab, hall, pool, 0))
		abort();
	hm->owns = true;
	hm->mapped = true;
	return &hm->lab;
}

void heap_lab_free(struct labyrinth *lab)
{
	struct heap_lab *hm = (struct heap_lab *)lab;

	if (hm->mapped) {
		munmap(lab->hall, hm->hall_len);
		munmap(lab->pool, hm->pool_len);
		munmap(hm, sizeof(*hm));
		return;
	}
	if (hm->owns) {
		free(lab->hall);
		free(lab->pool);
	}
	free(hm);
}

size_t heap_lab_hall_len(struct labyrinth *lab)
{
	return ((struct heap_lab *)lab)->hall_len;
}

void *tlab_snapshot(struct labyrinth *lab)
{
	struct heap_lab *hm = (struct heap_lab *)lab;
	char *snap = malloc(hm->hall_len + hm->pool_len);

	memcpy(snap, lab->hall, hm->hall_len);
	if (hm->pool_len)
		memcpy(snap + hm->hall_len, lab->pool, hm->pool_len);
	return snap;
}

bool tlab_same(struct labyrinth *lab, const void *snap)
{
	struct heap_lab *hm = (struct heap_lab *)lab;
	const char *s = snap;

	return !memcmp(s, lab->hall, hm->hall_len) &&
	       (!hm->pool_len || !memcmp(s + hm->hall_len, lab->pool,
					 hm->pool_len));
}

bool tlab_room_zero(const struct labyrinth *lab, uint32_t room)
{
	const uint64_t *p = (const uint64_t *)(lab->pool +
					       (size_t)room * LAB_ROOM_SIZE);

	for (unsigned int i = 0; i < LAB_ROOM_SIZE / sizeof(*p); i++)
		if (p[i])
			return false;
	return true;
}

uint32_t tlab_free(const struct labyrinth *lab)
{
	struct lab_census c;

	lab_census(lab, &c);
	return c.free;
}
