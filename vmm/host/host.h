/* SPDX-License-Identifier: MIT */
/*
 * lab.h - host side of the labyrinth, private to vmm/lab/.
 *
 * The shared file: [pool: rooms * 4096][hall][plaque: one page].  The
 * plaque at the very end says where the hall is, so an attacher can map
 * a labyrinth knowing only its name.
 */
#ifndef VMM_HOST_H
#define VMM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labyrinth.h"

#define LAB_NAME_MAX	64
#define LAB_PLAQUE_MAGIC	0x4c41425f504c4151ull	/* "LAB_PLAQ" */

struct lab_plaque {
	uint64_t magic;
	uint64_t pool_len;
	uint64_t hall_len;
};

struct lab_host {
	int fd;
	void *map;
	size_t map_len;
	size_t pool_len;
	bool pinned;
	struct labyrinth lab;
};

static inline struct lab_host *lab_host(const struct labyrinth *lab)
{
	return lab->host;
}

/* shm.c */
int shm_name_check(const char *name);
int shm_make(const char *name, const struct lab_geometry *geo, int *fd);
int shm_find(const char *name, int *fd);
int shm_map(int fd, struct lab_host **out);
void shm_unmap(struct lab_host *mh);
int shm_unlink_name(const char *name);

/* lease.c */
uint64_t lease_self(void);
bool lease_alive(uint64_t word);
int lease_take(struct labyrinth *lab);
void lease_drop(struct labyrinth *lab);

#endif /* VMM_HOST_H */
