/* SPDX-License-Identifier: MIT */
/*
 * host.h - host side of the labyrinth, private to vmm/host/.
 *
 * The metadata file: [hall][extent table][plaque: one page]; the rooms
 * live in the extent files (labyrinth_extent.h).  The plaque at the very
 * end says how big the hall, the table and the extents are, so an
 * attacher can map a labyrinth knowing only its name.  The plaque page is
 * never mapped: its bytes from LAB_LOCK_OFFSET on are the lease slots'
 * lock bytes (OFD locks are advisory, so they need no data of their own,
 * only an offset).
 */
#ifndef VMM_HOST_H
#define VMM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "claim.h"	/* the core's handle and seed cursor: this library fills them in */
#include "labyrinth_host.h"
#include "labyrinth_extent.h"
#include "slot.h"
#include "test_hooks.h"

#define LAB_SHM_DIR	"/dev/shm"
#define LAB_NAME_MAX	64
#define SHM_PATH_MAX	(sizeof(LAB_SHM_DIR) + LAB_NAME_MAX + 16)
#define LAB_PLAQUE_MAGIC	0x3251504c5f42414cull	/* "LAB_PLQ2": extents */
#define LAB_LOCK_OFFSET	2048u	/* in the plaque page: slot g locks byte +g,
				   the gate byte +LAB_MAX_GUESTS, extent k's
				   fill byte +LAB_MAX_GUESTS+1+k */

struct lab_plaque {
	uint64_t magic;
	uint64_t pool_len;	/* rooms * 4096, in the extents */
	uint64_t hall_len;	/* at offset 0 of the metadata file */
	uint64_t table_len;	/* the extent table, right after the hall */
	uint64_t extent_rooms;	/* rooms per extent file (the last: the rest) */
};

/*
 * The extent table: one record per extent, written only by the lease that
 * holds the extent's districts (its lender) or by the reaper of that lease.
 * @state is stored last (release): a reader that sees LENT sees the rest.
 */
#define LAB_EXTENT_REC_SIZE	128u
struct lab_extent_rec {
	_Atomic uint32_t state;		/* enum lab_extent_state */
	uint32_t guest, peer;
	int32_t pid;
	char domain[LAB_EXTENT_DOMAIN_MAX];
	uint8_t pad[LAB_EXTENT_REC_SIZE - 16 - LAB_EXTENT_DOMAIN_MAX];
};
_Static_assert(sizeof(struct lab_extent_rec) == LAB_EXTENT_REC_SIZE, "record size");

/*
 * An extent this process lent (extent_lend.c): our description of the
 * memfd it is lent in, an inotify watch on that memfd, and the count the
 * watch keeps of its other open descriptions; own -1 when not lent here.
 */
struct lab_lend {
	int own, watch;
	int32_t others;
};

struct lab_host {
	int fd;
	void *map;		/* hall and extent table */
	size_t map_len;
	void *pool;		/* every extent, in order */
	size_t pool_len;
	int *ext;		/* extent fds */
	struct lab_lend *lend;	/* per extent: what this process lent it in */
	uint32_t extents, extent_rooms;
	struct lab_extent_rec *table;
	off_t locks;		/* file offset of slot 0's lock byte */
	dev_t dev;		/* the file, to find lock holders in /proc */
	ino_t ino;
	bool pinned;		/* the pool is populated and mlock()ed here */
	bool filled;		/* the pool was filled here (lab_attach); a
				   reader's (lab_open) is only mapped */
	/* Non-NULL: map, pool and extent fds are this handle's, borrowed
	 * (lab_attach_beside); only fd (a description of its own) is ours. */
	struct lab_host *beside;
	struct labyrinth lab;
};

static inline struct lab_host *lab_host(const struct labyrinth *lab)
{
	return lab->host;
}

/* shm.c: the metadata file; for a private labyrinth *@ext gets the
 * extents' memfds (shm_map takes them), for a named one NULL. */
int shm_make(const char *name, const struct lab_geometry *geo,
	     uint32_t extent_rooms, uint32_t gid, int *fd, int **ext);
int shm_find(const char *name, int *fd);
/* Takes @fd and @ext (NULL: open the extents of @name); the pool is
 * backed, and with @fill populated and pinned (a monitor's), else only
 * mapped (a reader's: it faults in what it touches). */
int shm_map(const char *name, int fd, int *ext, uint32_t n_ext, bool fill,
	    struct lab_host **out);
/* Extent @k's pool copy may be touched (read, populated, pinned): true
 * holding its fill lock shared, until fill_leave(); false, holding
 * nothing, while a lend of it is under way or it is not the monitors'. */
bool fill_begin(struct lab_host *mh, uint32_t k);
void shm_unmap(struct lab_host *mh);
/* A handle on @b's mappings with an open file description of its own. */
int shm_beside(struct lab_host *b, struct lab_host **out);
int shm_unlink_name(const char *name);
/* The metadata file's path of @name into @buf (SHM_PATH_MAX); LAB_EINVAL
 * for a bad name. */
int shm_path(const char *name, char *buf);

/* extent_file.c: the extent files of @name (NULL: memfds). */
int extent_files_make(const char *name, uint32_t rooms, uint32_t extent_rooms,
		      uint32_t gid, int **ext);
int extent_files_publish(const char *name, const int *ext, uint32_t n);
int extent_files_open(const char *name, uint32_t rooms, uint32_t extent_rooms,
		      int **ext);
void extent_files_close(int *ext, uint32_t n);
/* 0 if @name still names the metadata file @mh maps, else -ESTALE. */
int shm_still_named(const char *name, const struct lab_host *mh);
void extent_files_unlink(const char *name, uint32_t from, uint32_t to);
/* Extent names @from and up of @name that no labyrinth has: 0 once none
 * is left, LAB_ETAKEN when one is that we may not remove. */
int extent_leftovers_unlink(const char *name, uint32_t from);
/* After a name of ours was taken: LAB_EEXIST if a labyrinth (or its
 * creator) has @name, else LAB_ETAKEN (a file that is no labyrinth's). */
int extent_name_taken(const char *name);
/* Held from before the extents are linked until the metadata file is. */
int extent_files_making(const int *ext);
uint32_t extent_count(uint32_t rooms, uint32_t extent_rooms);
uint64_t extent_table_len(uint32_t extents);

/* extent_lend.c: a table of @n extents lent by nobody yet, and its end
 * (every lend still open in it closed). */
struct lab_lend *lend_table_new(uint32_t n);
void lend_table_free(struct lab_lend *t, uint32_t n);

/* trust.c */
int trust_file(int fd);

/* backing.c */
/* LAB_ENOSPC when @bytes more would not fit in memory (and swap). */
int backing_fits(uint64_t bytes);
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
/* Extent @k's fill lock: shared while an attach fills the pool's copy
 * (never waits: LAB_EBUSY while a lend empties it), exclusive while a lend
 * empties it (waits for fills under way, at most some seconds); either
 * left with fill_leave(). */
int fill_enter(const struct lab_host *mh, uint32_t k);
int fill_close(const struct lab_host *mh, uint32_t k);
void fill_leave(const struct lab_host *mh, uint32_t k);

/* lease.c */
bool lease_alive(const struct labyrinth *lab, uint32_t g);
int lease_take(struct labyrinth *lab);
void lease_drop(struct labyrinth *lab);

/* holder.c: pid[g] of each lock holder visible here, -1 elsewhere. */
void holder_scan(const struct lab_host *mh, int pid[LAB_MAX_GUESTS]);

#endif /* VMM_HOST_H */
