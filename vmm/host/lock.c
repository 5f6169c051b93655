// SPDX-License-Identifier: MIT
/*
 * lock.c - the lease slots' locks: one byte per slot of the labyrinth's
 * file (in the plaque page, LAB_LOCK_OFFSET + g), write-locked with an
 * open file description lock (F_OFD_SETLK).
 *
 * Why OFD locks: they belong to the open file description, so every
 * lab_attach() (its own open()) holds its own lock, even many in one
 * process (the ivshmem server attaches once per peer), and closing some
 * other fd of the file does not drop them as it would POSIX locks.  The
 * kernel drops them when the last fd of the description closes, that is
 * when the holder dies, in whatever PID namespace it lives: that is what
 * makes a lease dead.  Never blocking: a held lock is an answer, not a
 * wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <time.h>

#include "host.h"

static int lock_range(const struct lab_host *mh, int cmd, short type,
		      uint32_t first, uint32_t n, struct flock *fl)
{
	*fl = (struct flock){
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = mh->locks + first,
		.l_len = n,
	};
	return fcntl(mh->fd, cmd, fl) ? -errno : 0;
}

static int lock_take(const struct lab_host *mh, uint32_t first, uint32_t n)
{
	struct flock fl;
	int err = lock_range(mh, F_OFD_SETLK, F_WRLCK, first, n, &fl);

	return err == -EAGAIN || err == -EACCES ? LAB_EBUSY : err;
}

int slot_lock(const struct lab_host *mh, uint32_t g)
{
	return lock_take(mh, g, 1);
}

void slot_unlock(const struct lab_host *mh, uint32_t g)
{
	struct flock fl;

	lock_range(mh, F_OFD_SETLK, F_UNLCK, g, 1, &fl);
}

/* Held by another open file description.  When the kernel cannot say,
 * the answer is "held": a live lease taken for dead would be reaped. */
bool slot_held(const struct lab_host *mh, uint32_t g)
{
	struct flock fl;

	if (lock_range(mh, F_OFD_GETLK, F_WRLCK, g, 1, &fl))
		return true;
	return fl.l_type != F_UNLCK;
}

/*
 * The gate: byte LAB_MAX_GUESTS, past the slots.  Every lease holds it
 * shared for its whole life; the recount of the free rooms holds it
 * exclusive, which it gets only while no lease is alive, and which keeps
 * leases from being taken until it is done.  Taking a slot waits (at most
 * GATE_WAIT_MS) for a recount to end rather than report "every slot is
 * taken" falsely.
 */
#define GATE		LAB_MAX_GUESTS
#define GATE_WAIT_MS	2000

/* Byte @at locked @type, waiting for other holders at most @wait_ms. */
static int lock_wait(const struct lab_host *mh, short type, uint32_t at, int wait_ms)
{
	struct timespec ms = { 0, 1000000 };
	struct flock fl;
	int err = 0;

	for (int t = 0; t < wait_ms; t++) {
		err = lock_range(mh, F_OFD_SETLK, type, at, 1, &fl);
		if (err != -EAGAIN && err != -EACCES)
			return err;
		nanosleep(&ms, NULL);
	}
	return LAB_EBUSY;
}

int gate_enter(const struct lab_host *mh)
{
	return lock_wait(mh, F_RDLCK, GATE, GATE_WAIT_MS);
}

int gate_close(const struct lab_host *mh)
{
	return lock_take(mh, GATE, 1);
}

void gate_leave(const struct lab_host *mh)
{
	struct flock fl;

	lock_range(mh, F_OFD_SETLK, F_UNLCK, GATE, 1, &fl);
}

/*
 * The fill locks: byte GATE + 1 + k for extent k.  An attach fills the
 * pool's copy of an extent that is the monitors' (backs, populates and
 * pins it, shm.c) holding it shared; a lend empties that copy holding it
 * exclusive, from after it holds the extent's districts until its record
 * says LENT (extent_lend.c).  So a page an attach faults in is there
 * before the lend empties the copy, and then goes with it; an attach that
 * comes later sees the lend begun and leaves the extent alone.  Whatever
 * happens to the attach meanwhile (an error mid-way, a kill) changes
 * nothing of that.  The attach never waits: a lend under way is an
 * answer.  The lend waits for attaches already filling, at most
 * FILL_WAIT_MS; later ones do not hold it up, so a stream of them cannot.
 */
#define FILL(k)		(GATE + 1u + (k))
#define FILL_WAIT_MS	10000

int fill_enter(const struct lab_host *mh, uint32_t k)
{
	struct flock fl;
	int err = lock_range(mh, F_OFD_SETLK, F_RDLCK, FILL(k), 1, &fl);

	return err == -EAGAIN || err == -EACCES ? LAB_EBUSY : err;
}

int fill_close(const struct lab_host *mh, uint32_t k)
{
	return lock_wait(mh, F_WRLCK, FILL(k), FILL_WAIT_MS);
}

void fill_leave(const struct lab_host *mh, uint32_t k)
{
	struct flock fl;

	lock_range(mh, F_OFD_SETLK, F_UNLCK, FILL(k), 1, &fl);
}
