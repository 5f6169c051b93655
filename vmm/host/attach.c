// SPDX-License-Identifier: MIT
/*
 * attach.c - the host API of labyrinth.h: create, attach, open, detach,
 * destroy, and the accessors the VMM needs to map rooms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

int lab_create_extents(const char *name, const struct lab_geometry *geo,
		       uint32_t extent_rooms, uint32_t gid)
{
	int fd, *ext, err;

	if (!name)
		return LAB_EINVAL;
	err = shm_make(name, geo, extent_rooms, gid, &fd, &ext);
	if (err)
		return err;
	close(fd);
	return 0;
}

int lab_create_group(const char *name, const struct lab_geometry *geo,
		     uint32_t gid)
{
	return lab_create_extents(name, geo, 0, gid);
}

int lab_create(const char *name, const struct lab_geometry *geo)
{
	return lab_create_group(name, geo, LAB_NOGROUP);
}

/* Tries of a name destroyed (and perhaps made again) while we opened it. */
#define OPEN_TRIES	8

/* A labyrinth is linked under its name only once it is formatted, so
 * whatever fails here is final: no waiting for a creator.  Only a name
 * that stopped naming the file we opened (shm.c: -ESTALE) is looked up
 * again, for whatever it names now. */
static int open_named(const char *name, bool fill, struct lab_host **mh)
{
	int err = -ESTALE;

	for (int t = 0; t < OPEN_TRIES && err == -ESTALE; t++) {
		int fd;

		err = shm_find(name, &fd);
		if (!err)
			err = shm_map(name, fd, NULL, 0, fill, mh);
	}
	return err == -ESTALE ? LAB_ENOENT : err;
}

/* A reader's: the pool mapped and backed, not populated nor pinned (a
 * reader of a 2 GiB labyrinth spent a second on that, and `info` runs
 * every few seconds). */
int lab_open(const char *name, struct labyrinth **out)
{
	struct lab_host *mh;
	int err = open_named(name, false, &mh);

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
	int err = open_named(name, true, &mh);

	if (err)
		return err;
	return attach_lease(mh, out);
}

int lab_attach_beside(struct labyrinth *mapped, struct labyrinth **out)
{
	struct lab_host *mh;
	int err = shm_beside(lab_host(mapped), &mh);

	if (err)
		return err;
	return attach_lease(mh, out);
}

int lab_create_private(const struct lab_geometry *geo, struct labyrinth **out)
{
	struct lab_host *mh;
	int fd, *ext, err = shm_make(NULL, geo, 0, LAB_NOGROUP, &fd, &ext);

	if (err)
		return err;
	err = shm_map(NULL, fd, ext, extent_count(geo->rooms, lab_extent_default(geo->rooms)),
		      true, &mh);
	if (err)
		return err;
	return attach_lease(mh, out);
}

/* Whatever this process still owns is scrubbed and freed: nothing leaks. */
void lab_detach(struct labyrinth *lab)
{
	if (!lab)
		return;
	lab_claim_page_park(lab);
	if (lab->guest != LAB_NONE) {
		lab_reap_guest(lab, lab->guest);
		lease_drop(lab);
	}
	shm_unmap(lab_host(lab));
}

int lab_destroy(const char *name)
{
	int err = shm_unlink_name(name);

	/* LAB_ETAKEN: the labyrinth went, a stranger's file stays. */
	if (!err || err == LAB_ETAKEN)
		lab_textfiles_remove(name);
	return err;
}

bool lab_still_named(const struct labyrinth *lab, const char *name)
{
	return !shm_still_named(name, lab_host(lab));
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

/* Whether this process may lock @bytes: CAP_IPC_LOCK, or RLIMIT_MEMLOCK. */
static bool may_lock(size_t bytes)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	struct rlimit rl;

	if (!syscall(SYS_capget, &h, d) &&
	    (d[CAP_TO_INDEX(CAP_IPC_LOCK)].effective & CAP_TO_MASK(CAP_IPC_LOCK)))
		return true;
	return !getrlimit(RLIMIT_MEMLOCK, &rl) &&
	       (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= bytes);
}

/* A reader's handle pins nothing: it says whether it could. */
bool lab_pinned(const struct labyrinth *lab)
{
	const struct lab_host *mh = lab_host(lab);

	return mh->filled ? mh->pinned : may_lock(mh->map_len + mh->pool_len);
}

const char *lab_strerror(int err)
{
	switch (err) {
	case LAB_ENOENT:
		return "no labyrinth of that name";
	case LAB_EEXIST:
		return "a labyrinth of that name exists already";
	case LAB_EINVAL:
		return "bad name or sizes";
	case LAB_EBUSY:
		return "every lease slot is taken";
	case LAB_EACCES:
		return "refused: the file must be a regular file you may open, "
		       "owned by you or root, not writable by others, nor by "
		       "its group unless that group is LABYRINTH_GROUP";
	case LAB_EPROTO:
		return "not a valid labyrinth (corrupt, or made by another "
		       "version)";
	case LAB_ETAKEN:
		return "a file that is no labyrinth's is in the way of its extents";
	case LAB_ENOSPC:
		return "not enough memory to back it (the tmpfs of /dev/shm, "
		       "or memory, is too small)";
	default:
		return strerror(-err);
	}
}
