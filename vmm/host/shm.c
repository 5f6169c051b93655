// SPDX-License-Identifier: MIT
/*
 * shm.c - the labyrinth's shared file: /dev/shm/labyrinth.NAME or a memfd.
 *
 * A named labyrinth is made nameless (O_TMPFILE), sized, backed, formatted,
 * and only then linked under its name: nobody can attach to a half-made
 * labyrinth, and a creator killed half way leaves nothing behind.
 *
 * The whole file is mapped MAP_SHARED, populated and mlock()ed so a claim
 * never faults on the host.  Not hugetlbfs: the VMM maps single 4 KiB
 * rooms of the fd into guest windows, which hugetlbfs forbids.  Instead
 * the host mapping asks for transparent huge pages (shmem THP, used when
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled allows).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

#define SHM_PATH_MAX	(sizeof(LAB_SHM_DIR) + LAB_NAME_MAX + 16)

static int shm_path(const char *name, char *buf)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > LAB_NAME_MAX || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789._-") != n)
		return LAB_EINVAL;
	snprintf(buf, SHM_PATH_MAX, LAB_SHM_DIR "/labyrinth.%s", name);
	return 0;
}

static int plaque_write(int fd, const struct lab_geometry *geo)
{
	struct lab_plaque p = {
		.magic = LAB_PLAQUE_MAGIC,
		.pool_len = (uint64_t)geo->rooms * LAB_ROOM_SIZE,
		.hall_len = lab_hall_size(geo),
	};
	off_t end = (off_t)(p.pool_len + p.hall_len);

	if (pwrite(fd, &p, sizeof(p), end) != (ssize_t)sizeof(p))
		return -EIO;
	return 0;
}

/* Format the hall through a temporary mapping of it. */
static int hall_write(int fd, const struct lab_geometry *geo)
{
	size_t pool = (size_t)geo->rooms * LAB_ROOM_SIZE;
	size_t len = lab_hall_size(geo);
	void *hall = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  (off_t)pool);
	int err;

	if (hall == MAP_FAILED)
		return -errno;
	err = lab_hall_format(hall, geo);
	munmap(hall, len);
	return err;
}

/* Every byte backed before anything is written: no page of it can fault
 * for want of memory later (SIGBUS) in any process that maps it. */
static int shm_format(int fd, const struct lab_geometry *geo)
{
	off_t size = (off_t)((uint64_t)geo->rooms * LAB_ROOM_SIZE +
			     lab_hall_size(geo) + LAB_ROOM_SIZE);
	int err;

	if (ftruncate(fd, size))
		return errno == EFBIG || errno == ENOSPC ? LAB_ENOSPC : -errno;
	err = backing_reserve(fd, size);
	if (!err)
		err = plaque_write(fd, geo);
	if (!err)
		err = hall_write(fd, geo);
	return err;
}

/* Operators share a labyrinth through a group: 0660, that group. */
static int shm_share(int fd, uint32_t gid)
{
	if (gid == LAB_NOGROUP)
		return 0;
	if (fchown(fd, (uid_t)-1, (gid_t)gid) || fchmod(fd, 0660))
		return -errno;
	return 0;
}

/* Give the finished file its name; the name taken meanwhile is EEXIST. */
static int shm_publish(int fd, const char *path)
{
	char self[32];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		return errno == EEXIST ? LAB_EEXIST : -errno;
	return 0;
}

static int shm_new(const char *path, int *fd)
{
	struct stat st;

	if (!path) {
		*fd = memfd_create("labyrinth", MFD_CLOEXEC);
	} else {
		/* Early, so a taken name costs no allocation; shm_publish is
		 * the check that counts. */
		if (!lstat(path, &st))
			return LAB_EEXIST;
		*fd = open(LAB_SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	return *fd < 0 ? -errno : 0;
}

int shm_make(const char *name, const struct lab_geometry *geo, uint32_t gid,
	     int *out)
{
	char path[SHM_PATH_MAX];
	int fd, err;

	err = lab_geometry_check(geo);
	if (!err && name)
		err = shm_path(name, path);
	if (!err && !name && gid != LAB_NOGROUP)
		err = LAB_EINVAL;	/* nobody else sees a memfd */
	if (!err)
		err = shm_new(name ? path : NULL, &fd);
	if (err)
		return err;
	err = shm_share(fd, gid);
	if (!err)
		err = shm_format(fd, geo);
	if (!err && name)
		err = shm_publish(fd, path);
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* Anyone may put a file at the name first: it is used only if trusted
 * (trust.c).  O_NOFOLLOW: a symlink planted there is refused, not
 * followed; O_NONBLOCK: a fifo planted there cannot stall the open. */
int shm_find(const char *name, int *out)
{
	char path[SHM_PATH_MAX];
	int fd, err = shm_path(name, path);

	if (err)
		return err;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return LAB_ENOENT;
		/* A symlink, or a directory: not a file we made. */
		return errno == ELOOP || errno == EISDIR ? LAB_EACCES : -errno;
	}
	err = trust_file(fd);
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int shm_unlink_name(const char *name)
{
	char path[SHM_PATH_MAX];
	int err = shm_path(name, path);

	if (err)
		return err;
	if (unlink(path))
		return errno == ENOENT ? LAB_ENOENT : -errno;
	return 0;
}

/* The plaque is untrusted: its lengths must add up to the file's size
 * and describe a pool of whole rooms within the limits. */
static int plaque_read(int fd, const struct stat *st, struct lab_plaque *p)
{
	uint64_t size = (uint64_t)st->st_size;

	if (size < 2 * LAB_ROOM_SIZE ||
	    pread(fd, p, sizeof(*p), (off_t)(size - LAB_ROOM_SIZE)) != sizeof(*p))
		return LAB_EPROTO;
	if (p->magic != LAB_PLAQUE_MAGIC || p->pool_len % LAB_ROOM_SIZE ||
	    p->pool_len == 0 || p->pool_len / LAB_ROOM_SIZE > LAB_MAX_ROOMS ||
	    p->hall_len % LAB_ROOM_SIZE || p->hall_len == 0 ||
	    p->hall_len > size || p->pool_len > size - p->hall_len ||
	    p->pool_len + p->hall_len + LAB_ROOM_SIZE != size)
		return LAB_EPROTO;
	return 0;
}

/* Checked before any page of it is populated or pinned. */
static int shm_check(struct lab_host *mh, const struct lab_plaque *p)
{
	struct lab_hall *hall = (struct lab_hall *)((char *)mh->map + p->pool_len);

	return lab_hall_check(hall, p->hall_len, p->pool_len / LAB_ROOM_SIZE);
}

static int shm_mapping(struct lab_host *mh, const struct lab_plaque *p)
{
	int err;

	mh->pool_len = p->pool_len;
	mh->map_len = p->pool_len + p->hall_len;
	mh->locks = (off_t)(mh->map_len + LAB_LOCK_OFFSET);
	mh->map = mmap(NULL, mh->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       mh->fd, 0);
	if (mh->map == MAP_FAILED) {
		mh->map = NULL;
		return -errno;
	}
	err = shm_check(mh, p);
	if (err)
		return err;
	madvise(mh->map, mh->pool_len, MADV_HUGEPAGE);
	err = backing_populate(mh->map, mh->map_len);
	if (err)
		return err;
	mh->pinned = mlock(mh->map, mh->map_len) == 0;
	return lab_bind(&mh->lab, (char *)mh->map + mh->pool_len, mh->map,
			LAB_NONE);
}

/* What the file says, what backs it; then map, check, populate, pin and
 * bind a handle (no lease yet).  Takes @fd: it is closed on failure
 * and by shm_unmap(). */
int shm_map(int fd, struct lab_host **out)
{
	struct lab_host *mh = calloc(1, sizeof(*mh));
	struct lab_plaque p;
	struct stat st;
	int err = mh ? 0 : -ENOMEM;

	if (!err && fstat(fd, &st))
		err = -errno;
	if (!err)
		err = plaque_read(fd, &st, &p);
	if (!err)
		err = backing_ensure(fd);
	if (err) {
		close(fd);
		free(mh);
		return err;
	}
	mh->fd = fd;
	mh->dev = st.st_dev;
	mh->ino = st.st_ino;
	mh->lab.host = mh;
	err = shm_mapping(mh, &p);
	if (err) {
		shm_unmap(mh);
		return err;
	}
	*out = mh;
	return 0;
}

void shm_unmap(struct lab_host *mh)
{
	if (mh->map) {
		if (mh->pinned)
			munlock(mh->map, mh->map_len);
		munmap(mh->map, mh->map_len);
	}
	close(mh->fd);
	free(mh);
}
