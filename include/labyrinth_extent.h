/* SPDX-License-Identifier: MIT */
/*
 * labyrinth_extent.h - where the rooms live: extents.
 *
 * The pool is not one file but a row of *extents*: files of a power-of-two
 * number of whole districts, chosen when the labyrinth is made.  Extent k
 * holds rooms k * extent_rooms up to the next extent's first (the last one
 * may be shorter: it is never lent).  A named labyrinth's extents are
 * /dev/shm/labyrinth.NAME+K beside its metadata file /dev/shm/labyrinth.NAME;
 * a private one's are memfds.  Every attached process maps all of them,
 * in order, as one contiguous pool (lab->pool), so the core never knows.
 *
 * Why extents: QEMU's ivshmem maps the whole of the one fd it is sent, so a
 * QEMU guest is lent memory a whole file at a time.  An extent is that
 * unit; what QEMU is sent is a fresh memfd of its size (extent_lend.c).
 *
 * Lending (labyrinth serve, one extent per ivshmem-doorbell peer):
 *   - every district of the extent is held for the peer's lease (holder =
 *     the peer's owner code), so no other cursor can claim there; the
 *     peer's claims go through lab_claim_within(), confined to them;
 *   - the fd sent to QEMU is a fresh memfd of the extent's size, sealed
 *     against resizing, never the pool's file: the server maps it over the
 *     extent in its own pool, and the pool file's pages of the extent go
 *     back to the kernel while it is lent.  Exclusivity holds by
 *     construction, whatever QEMU does with the fd;
 *   - the server counts the memfd's open descriptions but its own (an
 *     inotify watch: every fd, copy, mapping or reopening holds one, and
 *     the kernel says when the last goes), which says when QEMU let go
 *     (device unplugged, QEMU dead): the extent comes back then, with
 *     fresh zeroed pages, and only then its districts go back.  A reaper
 *     of a dead server's lease has no memfd to ask and takes the extent
 *     back at once.
 * The unit of exclusivity for QEMU guests is therefore the extent, for
 * monitor guests the room.
 */
#ifndef LABYRINTH_EXTENT_H
#define LABYRINTH_EXTENT_H

#include <stdbool.h>
#include <stdint.h>

#include "labyrinth_host.h"

#define LAB_EXTENTS_MAX		1024u	/* files (and mappings) per labyrinth */
#define LAB_EXTENT_DEFAULT_ROOMS 65536u	/* 256 MiB, see lab_extent_default() */
#define LAB_EXTENT_DOMAIN_MAX	64u

enum lab_extent_state {
	LAB_EXTENT_POOL = 0,	/* monitors claim there */
	LAB_EXTENT_LENT,	/* a QEMU peer maps it */
	LAB_EXTENT_RETURNING,	/* its peer left; QEMU has not let go yet */
};

/* One extent, as `info` shows it. */
struct lab_extent_info {
	uint32_t index, first_room, rooms;
	enum lab_extent_state state;
	bool lendable;			/* a whole extent (the last may be short) */
	bool mapped;			/* QEMU still holds its lend (the lender's
					   count; elsewhere: not in the pool) */
	uint32_t guest;			/* the lease it is lent to */
	uint32_t peer;			/* the server's peer id */
	int32_t pid;			/* QEMU's pid (from the socket), 0 unknown */
	uint32_t claimed;		/* rooms owned by that lease in it */
	char domain[LAB_EXTENT_DOMAIN_MAX];	/* QEMU's -name guest=, or "" */
};

/* The default extent for @rooms: a quarter of the pool, as a power of two
 * of whole districts, between one district and 256 MiB, and never more
 * than LAB_EXTENTS_MAX extents.  So a small labyrinth still has extents to
 * lend and a large one lends them in useful amounts. */
uint32_t lab_extent_default(uint32_t rooms);
/* 0 or LAB_EINVAL: a power of two of whole districts, at most
 * LAB_EXTENTS_MAX extents for @rooms. */
int lab_extent_check(uint32_t rooms, uint32_t extent_rooms);
/* lab_create_group() with extents of @extent_rooms (0: the default). */
int lab_create_extents(const char *name, const struct lab_geometry *geo,
		       uint32_t extent_rooms, uint32_t gid);

uint32_t lab_extents(const struct labyrinth *lab);
uint32_t lab_extent_rooms(const struct labyrinth *lab);
/* This process's fd of extent @k (room first_room + i at i * 4096). */
int lab_extent_fd(const struct labyrinth *lab, uint32_t k);
void lab_extent_get(const struct labyrinth *lab, uint32_t k,
		    struct lab_extent_info *out);
/* Only its state: cheap, for per-room questions. */
enum lab_extent_state lab_extent_state(const struct labyrinth *lab, uint32_t k);
/* The extent holding room @room. */
static inline uint32_t lab_extent_of(const struct labyrinth *lab, uint32_t room)
{
	return room / lab_extent_rooms(lab);
}

/*
 * Lends a free whole extent to this handle's lease: its districts held,
 * every room free, its record LENT.  *@fd is the lend's memory: a fresh
 * memfd of the extent's size (mapped over the extent in this process's
 * pool; the pool file's pages of it given back), on a description of its
 * own, whose holders are counted: send it, then close it.
 * 0, LAB_ENOSPC (no whole extent is free), or -errno.
 */
int lab_extent_lend(struct labyrinth *lab, uint32_t *k, int *fd);
/* Names the borrower, for `info`. */
void lab_extent_label(struct labyrinth *lab, uint32_t k, int32_t pid,
		      uint32_t peer, const char *domain);
/* Its peer left: the record says so until the extent is back. */
void lab_extent_leaving(struct labyrinth *lab, uint32_t k);
/*
 * Takes the extent back if QEMU let go of it (or, in a process that did
 * not lend it, at once): the pool's pages of it fresh and zero, its
 * districts given back.  0, LAB_EBUSY while anyone else holds the memfd,
 * or an error taking fresh pages (nothing changed).
 */
int lab_extent_return(struct labyrinth *lab, uint32_t k);
/* For a reaper of dead lease @guest: every extent lent to it is returned;
 * false (the lease stays unreaped for now) if one could not be. */
bool lab_extents_settle(struct labyrinth *lab, uint32_t guest);

/* The core's part of lending (shared/extent.c: holding a run of districts
 * for one owner, claiming only there) is the allocator's API, labyrinth.h. */

#endif /* LABYRINTH_EXTENT_H */
