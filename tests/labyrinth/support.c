// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "support.h"

struct heap_maze {
	struct labyrinth maze;
	size_t hall_len;
	size_t pool_len;
	bool owns;
};

struct labyrinth *heap_maze(uint32_t rooms, uint32_t corridors,
			    uint32_t reserve, bool with_pool)
{
	struct lab_geometry geo = { rooms, corridors, reserve };
	struct heap_maze *hm = calloc(1, sizeof(*hm));
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
	if (lab_hall_format(hall, &geo) || lab_bind(&hm->maze, hall, pool, 0))
		abort();
	hm->owns = true;
	return &hm->maze;
}

struct labyrinth *heap_maze_guest(struct labyrinth *maze, uint32_t guest)
{
	struct heap_maze *hm = calloc(1, sizeof(*hm));

	*hm = *(struct heap_maze *)maze;
	hm->owns = false;
	lab_bind(&hm->maze, maze->hall, maze->pool, guest);
	return &hm->maze;
}

void heap_maze_free(struct labyrinth *maze)
{
	struct heap_maze *hm = (struct heap_maze *)maze;

	if (hm->owns) {
		free(maze->hall);
		free(maze->pool);
	}
	free(hm);
}

size_t heap_maze_hall_len(struct labyrinth *maze)
{
	return ((struct heap_maze *)maze)->hall_len;
}

void *maze_snapshot(struct labyrinth *maze)
{
	struct heap_maze *hm = (struct heap_maze *)maze;
	char *snap = malloc(hm->hall_len + hm->pool_len);

	memcpy(snap, maze->hall, hm->hall_len);
	if (hm->pool_len)
		memcpy(snap + hm->hall_len, maze->pool, hm->pool_len);
	return snap;
}

bool maze_same(struct labyrinth *maze, const void *snap)
{
	struct heap_maze *hm = (struct heap_maze *)maze;
	const char *s = snap;

	return !memcmp(s, maze->hall, hm->hall_len) &&
	       (!hm->pool_len || !memcmp(s + hm->hall_len, maze->pool,
					 hm->pool_len));
}

uint32_t maze_free(const struct labyrinth *maze)
{
	struct lab_census c;

	lab_census(maze, &c);
	return c.free;
}
