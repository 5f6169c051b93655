/* SPDX-License-Identifier: MIT */
/*
 * host.h - host side of the labyrinth, private to vmm/host/.
 *
 * The shared file: [pool: rooms * 4096][hall][plaque: one page].  The
 * plaque at the very end says where the hall is, so an attacher can map
 * a labyrinth knowing only its name.  The plaque page is never mapped: its
 * bytes from LAB_LOCK_OFFSET on are the lease slots' lock bytes (OFD locks
 * are advisory, so they need no data of their own, only an offset).
 */
#ifndef VMM_HOST_H
#define VMM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "labyrinth.h"

#define LAB_SHM_DIR	"/dev/shm"
#define LAB_NAME_MAX	64
#define LAB_PLAQUE_MAGIC	0x4c41425f504c4151ull	/* "LAB_PLAQ" */
#define LAB_LOCK_OFFSET	2048u	/* in the plaque page: slot g locks byte +g,
				   the gate byte +LAB_MAX_GUESTS */

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
	off_t locks;		/* file offset of slot 0's lock byte */
	dev_t dev;		/* the file, to find lock holders in /proc */
	ino_t ino;
	bool pinned;
	struct labyrinth lab;
};

static inline struct lab_host *lab_host(const struct labyrinth *lab)
{
	return lab->host;
}

/* shm.c */
int shm_make(const char *name, const struct lab_geometry *geo, uint32_t gid,
	     int *fd);
int shm_find(const char *name, int *fd);
int shm_map(int fd, struct lab_host **out);
void shm_unmap(struct lab_host *mh);
int shm_unlink_name(const char *name);

/* trust.c */
int trust_file(int fd);

/* backing.c */
int backing_reserve(int fd, off_t size);
int backing_ensure(int fd);
int backing_populate(void *map, size_t len);

/* lock.c: 0, LAB_EBUSY (another open file description holds it), -errno */
int slot_lock(const struct lab_host *mh, uint32_t g);
void slot_unlock(const struct lab_host *mh, uint32_t g);
bool slot_held(const struct lab_host *mh, uint32_t g);
/* The gate: shared by every lease, exclusive for a recount; gate_leave()
 * ends either. */
int gate_enter(const struct lab_host *mh);
int gate_close(const struct lab_host *mh);
void gate_leave(const struct lab_host *mh);

/* lease.c */
bool lease_alive(const struct labyrinth *lab, uint32_t g);
int lease_take(struct labyrinth *lab);
void lease_drop(struct labyrinth *lab);

/* holder.c: pid[g] of each lock holder visible here, -1 elsewhere. */
void holder_scan(const struct lab_host *mh, int pid[LAB_MAX_GUESTS]);

#endif /* VMM_HOST_H */
