// SPDX-License-Identifier: MIT
/*
 * extent_lend.c - lending whole extents to QEMU peers, and taking them back
 * (labyrinth_extent.h).
 *
 * Exclusive by construction: a borrower is never handed the pool's file.
 * Each lend makes a fresh memory object (a memfd) of the extent's size,
 * sealed so that its size cannot change; the lender maps it over the
 * extent's place in its own pool mapping (the mailbox and the guest's
 * rooms are the lender's to read there), and the pool file's pages of the
 * extent are given back to the kernel (a hole: the extent costs its size
 * once, in the memfd).  Whatever the borrower does with what it was given
 * (unlock, dup, pass on, fork, keep mappings, chmod, try to resize), it
 * holds only pages that were never the pool's and never will be: when the
 * extent comes back, the lender maps the pool file there again and takes
 * fresh zeroed pages for the hole (punched again first, so nothing
 * written there meanwhile survives).  Nothing it can do reaches the
 * pool's files, nor any room lent, scrubbed or claimed after it.
 *
 * When to take it back (once QEMU let go, so that its memory is not paid
 * twice): when the kernel says no description of the memfd is open but
 * ours, counted by an inotify watch on it (lend_count): QEMU's fd, any
 * copy of it, any mapping and any reopening all hold one, and nothing a
 * holder does keeps their last close from being said.  (An OFD lock on
 * what was sent once said it: its holder could drop it.)  A reaper of a
 * dead lender has no memfd to ask, and takes the extent back at once:
 * the guarantee above holds all the same.
 *
 * Order on return: the lender's mapping is the pool file's again; the
 * pool's pages of the extent are fresh and zero while the districts are
 * still held (nobody can claim there yet); then the record says POOL;
 * then the districts go back; the lease's release or reap gives back the
 * rooms it still owns.  Killed anywhere in between, the next reaper of
 * the lease redoes what is left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/mman.h>
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

struct lab_lend *lend_table_new(uint32_t n)
{
	struct lab_lend *t = malloc(n * sizeof(*t));

	for (uint32_t k = 0; t && k < n; k++)
		t[k] = (struct lab_lend){ .own = -1, .watch = -1 };
	return t;
}

static void lend_close(struct lab_lend *l)
{
	if (l->watch >= 0)
		close(l->watch);
	if (l->own >= 0)
		close(l->own);
	*l = (struct lab_lend){ .own = -1, .watch = -1 };
}

void lend_table_free(struct lab_lend *t, uint32_t n)
{
	for (uint32_t k = 0; t && k < n; k++)
		lend_close(&t[k]);
	free(t);
}

/* A queue that overflowed lost opens and closes: the count is unknown for
 * good, and "held" is the safe answer (the extent stays the borrower's
 * until a reaper, which has no memfd to ask). */
#define OTHERS_UNKNOWN	INT32_MAX

/* The opens and closes of the memfd's descriptions since the last look,
 * ours excepted (it was opened before the watch, and closes only after
 * it).  The kernel reports a close when a description's last reference
 * goes: its last fd, in whatever process it was passed to, and its last
 * mapping; and an open for any new description of it, as through
 * /proc/PID/fd.  Nothing a holder does keeps either from being said. */
static void lend_count(struct lab_lend *l)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(l->watch, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->mask & IN_Q_OVERFLOW)
				l->others = OTHERS_UNKNOWN;
			else if (l->others != OTHERS_UNKNOWN)
				l->others += (e->mask & IN_OPEN) ? 1 : (e->mask & IN_CLOSE) ? -1 : 0;
			p += sizeof(*e) + e->len;
		}
	}
}

/* Does anyone but us still hold the memfd (an fd of it, a mapping)?  The
 * kernel's count, never the holder's word.  Elsewhere (not lent here),
 * what the record says. */
static bool extent_mapped(const struct labyrinth *lab, uint32_t k)
{
	struct lab_lend *l = &lab_host(lab)->lend[k];

	if (l->own < 0)
		return rec_state(rec_of(lab, k)) != LAB_EXTENT_POOL;
	lend_count(l);
	return l->others != 0;
}

static uint8_t *extent_at(const struct labyrinth *lab, uint32_t k)
{
	return lab->pool + (size_t)extent_first(lab, k) * LAB_ROOM_SIZE;
}

static size_t extent_bytes(const struct labyrinth *lab, uint32_t k)
{
	return (size_t)extent_len(lab, k) * LAB_ROOM_SIZE;
}

/* @fd over extent @k's place in this process's pool, populated (and
 * pinned, as the rest of the pool is). */
static int extent_map_over(const struct labyrinth *lab, uint32_t k, int fd)
{
	if (mmap(extent_at(lab, k), extent_bytes(lab, k), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		return -errno;
	if (lab_host(lab)->pinned)
		mlock(extent_at(lab, k), extent_bytes(lab, k));
	return backing_populate(extent_at(lab, k), extent_bytes(lab, k));
}

/* The lend's own memory: the extent's size, backed now (no SIGBUS in
 * QEMU later), sealed so that nobody can change its size. */
static int lend_memfd(size_t len, int *out)
{
	int fd = memfd_create("labyrinth-lend", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int err = fd < 0 ? -errno : 0;

	if (!err && ftruncate(fd, (off_t)len))
		err = -errno;
	if (!err)
		err = backing_reserve(fd, (off_t)len);
	if (!err && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		err = -errno;
	if (err && fd >= 0)
		close(fd);
	if (!err)
		*out = fd;
	return err;
}

/* The watch on the memfd first, then the description sent: a new one,
 * so its open is counted and its last close is said (our own mapping
 * holds our description, never this one). */
static int lend_send_fd(struct lab_lend *l, int *out)
{
	char self[32];
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", l->own);
	l->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (l->watch < 0 || inotify_add_watch(l->watch, self, IN_OPEN | IN_CLOSE) < 0)
		return -errno;
	fd = open(self, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

/* The pool file's pages of extent @k back to the kernel; with @fresh,
 * new zeroed ones taken at once (what nobody was lent). */
static int pool_pages(const struct labyrinth *lab, uint32_t k, bool fresh)
{
	int fd = lab_extent_fd(lab, k);

	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      (off_t)extent_bytes(lab, k)))
		return -errno;
	return fresh ? backing_reserve(fd, (off_t)extent_bytes(lab, k)) : 0;
}

/* The memfd over the extent in our pool, the pool's pages given back, and
 * the description to send.  Nothing changed on an error. */
static int lend_memory(const struct labyrinth *lab, uint32_t k, int *fd)
{
	struct lab_lend *l = &lab_host(lab)->lend[k];
	int err = lend_memfd(extent_bytes(lab, k), &l->own);

	if (err)
		return err;
	l->others = 0;
	err = lend_send_fd(l, fd);
	if (!err && (err = extent_map_over(lab, k, l->own))) {
		close(*fd);
		extent_map_over(lab, k, lab_extent_fd(lab, k));
	}
	if (err) {
		lend_close(l);
		return err;
	}
	pool_pages(lab, k, false);
	return 0;
}

/* The pool file over the extent in our pool again, with fresh pages: what
 * a borrower wrote (in its memfd) or anyone wrote meanwhile is not there. */
static int lend_end(const struct labyrinth *lab, uint32_t k)
{
	struct lab_lend *l = &lab_host(lab)->lend[k];
	int err = pool_pages(lab, k, true);

	if (!err && l->own >= 0)
		err = extent_map_over(lab, k, lab_extent_fd(lab, k));
	if (err)
		return err;
	lend_close(l);
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
	/* Busy, or the guarantees (LAB_ENOSPC): the caller tries the next
	 * extent either way, as a lend racing another may pass there. */
	if (lab_districts_lend(lab, first, n, owner))
		return LAB_EBUSY;
	/* Attaches filling the pool's copy finish first; later ones see the
	 * districts lent and leave it alone (lock.c). */
	err = fill_close(lab_host(lab), k);
	if (!err) {
		err = lend_memory(lab, k, fd);
		if (!err)
			rec_write(rec_of(lab, k), LAB_EXTENT_LENT, lab->guest);
		fill_leave(lab_host(lab), k);
	}
	if (err)
		lab_districts_unlend(lab, first, n, owner);
	return err;
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
	int err;

	if (lab_host(lab)->lend[k].own >= 0 && extent_mapped(lab, k))
		return LAB_EBUSY;
	/* Returning while its pool file fills again (seconds for a large
	 * extent): what an audit meanwhile sees there is that refill. */
	lab_extent_leaving(lab, k);
	err = lend_end(lab, k);
	if (err)
		return err;
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
