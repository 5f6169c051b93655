// SPDX-License-Identifier: MIT
/*
 * attach.c - the host API of labyrinth.h: create, attach, open, detach,
 * destroy, and the accessors the VMM needs to map rooms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

int lab_create(const char *name, const struct lab_geometry *geo)
{
	int fd, err = shm_make(name, geo, &fd);

	if (err)
		return err;
	close(fd);
	return 0;
}

/* A creator may still be formatting: give it a moment. */
static int open_retry(const char *name, struct lab_host **mh)
{
	struct timespec ms = { 0, 1000000 };
	int err;

	for (int tries = 0; tries < 200; tries++) {
		int fd;

		err = shm_find(name, &fd);
		if (err)
			return err;
		err = shm_map(fd, mh);
		if (err != LAB_EPROTO)
			return err;
		nanosleep(&ms, NULL);
	}
	return err;
}

int lab_open(const char *name, struct labyrinth **out)
{
	struct lab_host *mh;
	int err = open_retry(name, &mh);

	if (err)
		return err;
	*out = &mh->lab;
	return 0;
}

/* Survivors reap on attach, before taking their own lease. */
static int attach_lease(struct lab_host *mh, struct labyrinth **out)
{
	int err;

	lab_reap(&mh->lab);
	err = lease_take(&mh->lab);
	if (err) {
		shm_unmap(mh);
		return err;
	}
	*out = &mh->lab;
	return 0;
}

int lab_attach(const char *name, struct labyrinth **out)
{
	struct lab_host *mh;
	int err = open_retry(name, &mh);

	if (err)
		return err;
	return attach_lease(mh, out);
}

int lab_create_private(const struct lab_geometry *geo, struct labyrinth **out)
{
	struct lab_host *mh;
	int fd, err = shm_make(NULL, geo, &fd);

	if (err)
		return err;
	err = shm_map(fd, &mh);
	if (err)
		return err;
	return attach_lease(mh, out);
}

/* Whatever this process still owns is scrubbed and freed: nothing leaks. */
void lab_detach(struct labyrinth *lab)
{
	if (!lab)
		return;
	lab_cursor_park(&lab->seed_cursor);
	if (lab->guest != LAB_NONE) {
		lab_reap_guest(lab, lab->guest);
		lease_drop(lab);
	}
	shm_unmap(lab_host(lab));
}

int lab_destroy(const char *name)
{
	return shm_unlink_name(name);
}

int lab_fd(const struct labyrinth *lab)
{
	return lab_host(lab)->fd;
}

void *lab_pool(const struct labyrinth *lab)
{
	return lab->pool;
}

size_t lab_pool_size(const struct labyrinth *lab)
{
	return lab_host(lab)->pool_len;
}

bool lab_pinned(const struct labyrinth *lab)
{
	return lab_host(lab)->pinned;
}
