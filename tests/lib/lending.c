// SPDX-License-Identifier: MIT
/*
 * lending.c - the transport that lends nothing (lending.h).
 */
#include <stdlib.h>
#include <string.h>

#include "handle.h"	/* builds its handles by hand */
#include "lending.h"

static uint64_t *room_list(void *t, uint64_t gpa, unsigned int n)
{
	(void)gpa;
	(void)n;
	return ((struct lending *)t)->list;
}

static int reach(void *t, const uint32_t *rooms, unsigned int n)
{
	(void)rooms;
	((struct lending *)t)->space -= n;
	return 0;
}

static void unreach(void *t, const uint32_t *rooms, unsigned int n)
{
	(void)rooms;
	((struct lending *)t)->space += n;
}

static void window(void *t, uint64_t *base, uint64_t *size, uint32_t *first_room)
{
	(void)t;
	*first_room = 0;
	*base = 0;
	*size = (uint64_t)LAB_MAX_ROOMS * LAB_ROOM_SIZE;
}

static uint32_t space(void *t)
{
	return ((struct lending *)t)->space;
}

const struct lab_transport lending_nothing = {
	room_list, reach, unreach, window, space, NULL, NULL, NULL, NULL,
};

int64_t lending_call(struct lab_caller *c, uint32_t call, uint32_t flags,
		     uint32_t n)
{
	struct lab_hc hc = { .call = call, .flags = flags, .count = n };

	return lab_dispatch(c, &hc, hc.u.panic);
}

struct labyrinth *lending_labyrinth(uint32_t rooms)
{
	struct lab_geometry geo = { rooms, 1, 0 };
	struct labyrinth *m = calloc(1, sizeof(*m));
	size_t len = lab_hall_size(&geo);
	void *hall = aligned_alloc(4096, len);

	if (!m || !hall)
		abort();
	memset(hall, 0, len);
	if (lab_hall_format(hall, &geo) || lab_bind(m, hall, NULL, 0))
		abort();
	return m;
}
