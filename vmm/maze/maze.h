/* SPDX-License-Identifier: MIT */
/*
 * maze.h - host side of the labyrinth, private to vmm/maze/.
 *
 * The shared file: [pool: rooms * 4096][hall][plaque: one page].  The
 * plaque at the very end says where the hall is, so an attacher can map
 * a labyrinth knowing only its name.
 */
#ifndef MAZE_H
#define MAZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labyrinth.h"

#define MAZE_NAME_MAX	64
#define MAZE_PLAQUE_MAGIC	0x4c41425f504c4151ull	/* "LAB_PLAQ" */

struct maze_plaque {
	uint64_t magic;
	uint64_t pool_len;
	uint64_t hall_len;
};

struct maze_host {
	int fd;
	void *map;
	size_t map_len;
	size_t pool_len;
	bool pinned;
	struct labyrinth maze;
};

static inline struct maze_host *maze_host(const struct labyrinth *maze)
{
	return maze->host;
}

/* shm.c */
int shm_name_check(const char *name);
int shm_make(const char *name, const struct lab_geometry *geo, int *fd);
int shm_find(const char *name, int *fd);
int shm_map(int fd, struct maze_host **out);
void shm_unmap(struct maze_host *mh);
int shm_unlink_name(const char *name);

/* lease.c */
uint64_t lease_self(void);
bool lease_alive(uint64_t word);
int lease_take(struct labyrinth *maze);
void lease_drop(struct labyrinth *maze);

#endif /* MAZE_H */
