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

int gate_enter(const struct lab_host *mh)
{
	struct timespec ms = { 0, 1000000 };
	struct flock fl;
	int err = 0;

	for (int t = 0; t < GATE_WAIT_MS; t++) {
		err = lock_range(mh, F_OFD_SETLK, F_RDLCK, GATE, 1, &fl);
		if (err != -EAGAIN && err != -EACCES)
			return err;
		nanosleep(&ms, NULL);
	}
	return LAB_EBUSY;
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
