// SPDX-License-Identifier: MIT
/*
 * extent_lend.c - lending whole extents to QEMU peers, and taking them back
 * (labyrinth_extent.h).
 *
 * The lend lock: an OFD write lock on byte 0 of the extent file, taken on
 * an open file description made for the borrower alone and sent to QEMU.
 * Every fd QEMU keeps of it and every mapping of it hold that description,
 * so the kernel drops the lock exactly when QEMU can no longer touch the
 * extent (device unplugged, QEMU dead), whether or not anyone watched.  The
 * lock is asked about through our own description of the extent, which
 * never takes it.
 *
 * Order on return: the lock is gone, so no guest reaches the extent; then
 * every room is zeroed while the districts are still held (nobody can
 * claim there yet); then the record says POOL; then the districts go
 * back; the lease's release or reap gives back the rooms it still owns.  Killed anywhere in between,
 * the next reaper of the lease redoes what is left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

uint32_t lab_extents(const struct labyrinth *lab)
{
	return lab_host(lab)->extents;
}

uint32_t lab_extent_rooms(const struct labyrinth *lab)
{
	return lab_host(lab)->extent_rooms;
}

int lab_extent_fd(const struct labyrinth *lab, uint32_t k)
{
	return k < lab_extents(lab) ? lab_host(lab)->ext[k] : -1;
}

static uint32_t extent_first(const struct labyrinth *lab, uint32_t k)
{
	return k * lab_extent_rooms(lab);
}

static uint32_t extent_len(const struct labyrinth *lab, uint32_t k)
{
	uint32_t left = lab_rooms(lab) - extent_first(lab, k);

	return left < lab_extent_rooms(lab) ? left : lab_extent_rooms(lab);
}

static bool extent_whole(const struct labyrinth *lab, uint32_t k)
{
	return extent_len(lab, k) == lab_extent_rooms(lab);
}

static struct lab_extent_rec *rec_of(const struct labyrinth *lab, uint32_t k)
{
	return &lab_host(lab)->table[k];
}

static enum lab_extent_state rec_state(const struct lab_extent_rec *r)
{
	uint32_t s = atomic_load_explicit(&((struct lab_extent_rec *)r)->state,
					  memory_order_acquire);

	return s <= LAB_EXTENT_RETURNING ? (enum lab_extent_state)s : LAB_EXTENT_LENT;
}

static int lend_lock(int fd, int cmd, short type, struct flock *fl)
{
	*fl = (struct flock){ .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	return fcntl(fd, cmd, fl) ? -errno : 0;
}

/* When the kernel cannot say, the answer is "mapped": an extent taken back
 * under a live QEMU would be reachable from two guests. */
static bool extent_mapped(const struct labyrinth *lab, uint32_t k)
{
	struct flock fl;

	if (lend_lock(lab_extent_fd(lab, k), F_OFD_GETLK, F_WRLCK, &fl))
		return true;
	return fl.l_type != F_UNLCK;
}

/* A description of its own, so QEMU's holding it is what holds the lock. */
static int lend_fd(const struct labyrinth *lab, uint32_t k, int *out)
{
	char self[32];
	struct flock fl;
	int fd, err;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", lab_extent_fd(lab, k));
	fd = open(self, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = lend_lock(fd, F_OFD_SETLK, F_WRLCK, &fl);
	if (err) {
		close(fd);
		return err == -EAGAIN || err == -EACCES ? LAB_EBUSY : err;
	}
	*out = fd;
	return 0;
}

static void rec_write(struct lab_extent_rec *r, enum lab_extent_state state, uint32_t guest)
{
	r->guest = guest;
	r->peer = 0;
	r->pid = 0;
	memset(r->domain, 0, sizeof(r->domain));
	atomic_store_explicit(&r->state, state, memory_order_release);
}

static int extent_try_lend(struct labyrinth *lab, uint32_t k, int *fd)
{
	uint32_t owner = lab_owner(lab->guest, 0);
	uint32_t first = extent_first(lab, k) / LAB_DISTRICT_ROOMS;
	uint32_t n = lab_extent_rooms(lab) / LAB_DISTRICT_ROOMS;
	int err;

	if (!extent_whole(lab, k) || rec_state(rec_of(lab, k)) != LAB_EXTENT_POOL)
		return LAB_EBUSY;
	if (!lab_districts_lend(lab, first, n, owner))
		return LAB_EBUSY;
	err = lend_fd(lab, k, fd);
	if (err) {
		lab_districts_unlend(lab, first, n, owner);
		return err;
	}
	rec_write(rec_of(lab, k), LAB_EXTENT_LENT, lab->guest);
	return 0;
}

int lab_extent_lend(struct labyrinth *lab, uint32_t *k, int *fd)
{
	if (lab->guest >= LAB_MAX_GUESTS)
		return LAB_ESRCH;
	for (uint32_t i = 0; i < lab_extents(lab); i++) {
		int err = extent_try_lend(lab, i, fd);

		if (!err) {
			*k = i;
			return 0;
		}
		if (err != LAB_EBUSY)
			return err;
	}
	return LAB_ENOSPC;
}

void lab_extent_label(struct labyrinth *lab, uint32_t k, int32_t pid, uint32_t peer,
		      const char *domain)
{
	struct lab_extent_rec *r = rec_of(lab, k);

	r->pid = pid;
	r->peer = peer;
	snprintf(r->domain, sizeof(r->domain), "%s", domain ? domain : "");
}

void lab_extent_leaving(struct labyrinth *lab, uint32_t k)
{
	atomic_store_explicit(&rec_of(lab, k)->state, LAB_EXTENT_RETURNING,
			      memory_order_release);
}

int lab_extent_return(struct labyrinth *lab, uint32_t k)
{
	struct lab_extent_rec *r = rec_of(lab, k);
	uint32_t lender = r->guest;

	if (extent_mapped(lab, k))
		return LAB_EBUSY;
	/* The guest could write anywhere in it, claimed or not. */
	memset(lab->pool + (size_t)extent_first(lab, k) * LAB_ROOM_SIZE, 0,
	       (size_t)extent_len(lab, k) * LAB_ROOM_SIZE);
	rec_write(r, LAB_EXTENT_POOL, 0);
	/* The lender's limits go before its districts do: its min was kept by
	 * the extent and passed no sum (limits.c), so once `lent` fell to 0 it
	 * would count against the monitors' guarantees, over-committed, until
	 * its slot was cleared (never, for a reaper killed here). */
	lab_limits_clear(lab, lender);
	/* After the record, so no extent is counted back twice; a kill in
	 * between is made good when the lender's lease is reaped (count.c). */
	lab_districts_count_back(lab, extent_first(lab, k) / LAB_DISTRICT_ROOMS,
				 extent_len(lab, k) / LAB_DISTRICT_ROOMS, lender);
	return 0;
}

bool lab_extents_settle(struct labyrinth *lab, uint32_t guest)
{
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		struct lab_extent_rec *r = rec_of(lab, k);

		if (rec_state(r) == LAB_EXTENT_POOL || r->guest != guest)
			continue;
		if (lab_extent_return(lab, k))
			return false;
	}
	return true;
}

enum lab_extent_state lab_extent_state(const struct labyrinth *lab, uint32_t k)
{
	return rec_state(rec_of(lab, k));
}

void lab_extent_get(const struct labyrinth *lab, uint32_t k, struct lab_extent_info *out)
{
	const struct lab_extent_rec *r = rec_of(lab, k);
	uint32_t first = extent_first(lab, k), n = extent_len(lab, k);

	*out = (struct lab_extent_info){
		.index = k,
		.first_room = first,
		.rooms = n,
		.state = rec_state(r),
		.lendable = extent_whole(lab, k),
		.guest = LAB_NONE,
	};
	out->mapped = extent_mapped(lab, k);
	if (out->state == LAB_EXTENT_POOL)
		return;
	out->guest = r->guest;
	out->peer = r->peer;
	out->pid = r->pid;
	memcpy(out->domain, r->domain, sizeof(out->domain));
	out->domain[sizeof(out->domain) - 1] = 0;
	for (uint32_t i = first; i < first + n; i++) {
		uint32_t o = lab_room_owner(lab, i);

		out->claimed += o && o != LAB_NONE && lab_owner_guest(o) == out->guest;
	}
}
