// SPDX-License-Identifier: MIT
/*
 * shm.c - the labyrinth's shared file: /dev/shm/labyrinth.NAME or a memfd.
 *
 * The whole file is mapped MAP_SHARED | MAP_POPULATE and mlock()ed so a
 * claim never faults on the host.  Not hugetlbfs: the VMM maps single
 * 4 KiB rooms of the fd into guest windows, which hugetlbfs forbids.
 * Instead the host mapping asks for transparent huge pages (shmem THP,
 * used when /sys/kernel/mm/transparent_hugepage/shmem_enabled allows).
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

int shm_name_check(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > LAB_NAME_MAX || name[0] == '.')
		return LAB_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", name[i]))
			return LAB_EINVAL;
	return 0;
}

static void shm_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "/labyrinth.%s", name);
}

static int plaque_write(int fd, const struct lab_geometry *geo)
{
	struct lab_plaque p = {
		.magic = LAB_PLAQUE_MAGIC,
		.pool_len = (uint64_t)geo->rooms * LAB_ROOM_SIZE,
		.hall_len = lab_hall_size(geo),
	};
	off_t end = (off_t)(p.pool_len + p.hall_len);

	if (ftruncate(fd, end + LAB_ROOM_SIZE))
		return -errno;
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

/* Plaque first, hall last: the hall's magic is what makes it valid. */
static int shm_format(int fd, const struct lab_geometry *geo)
{
	int err = lab_geometry_check(geo);

	if (!err)
		err = plaque_write(fd, geo);
	if (!err)
		err = hall_write(fd, geo);
	return err;
}

int shm_make(const char *name, const struct lab_geometry *geo, int *out)
{
	char path[LAB_NAME_MAX + 16];
	int fd, err;

	err = lab_geometry_check(geo);
	if (err)
		return err;
	if (name) {
		if (shm_name_check(name))
			return LAB_EINVAL;
		shm_path(name, path, sizeof(path));
		fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else {
		fd = memfd_create("labyrinth", MFD_CLOEXEC);
	}
	if (fd < 0)
		return errno == EEXIST ? LAB_EEXIST : -errno;
	err = shm_format(fd, geo);
	if (err) {
		if (name)
			shm_unlink(path);
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int shm_find(const char *name, int *out)
{
	char path[LAB_NAME_MAX + 16];
	int fd;

	if (shm_name_check(name))
		return LAB_EINVAL;
	shm_path(name, path, sizeof(path));
	fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return errno == ENOENT ? LAB_ENOENT : -errno;
	*out = fd;
	return 0;
}

int shm_unlink_name(const char *name)
{
	char path[LAB_NAME_MAX + 16];

	if (shm_name_check(name))
		return LAB_EINVAL;
	shm_path(name, path, sizeof(path));
	if (shm_unlink(path))
		return errno == ENOENT ? LAB_ENOENT : -errno;
	return 0;
}

static int plaque_read(int fd, struct lab_plaque *p)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < LAB_ROOM_SIZE ||
	    pread(fd, p, sizeof(*p), st.st_size - LAB_ROOM_SIZE) != sizeof(*p))
		return LAB_EPROTO;
	if (p->magic != LAB_PLAQUE_MAGIC ||
	    p->pool_len + p->hall_len + LAB_ROOM_SIZE != (uint64_t)st.st_size)
		return LAB_EPROTO;
	return 0;
}

/* Map, pre-fault and pin the whole file; bind a handle (no lease yet).
 * Takes @fd: it is closed on failure and by shm_unmap(). */
int shm_map(int fd, struct lab_host **out)
{
	struct lab_plaque p;
	struct lab_host *mh;
	int err = plaque_read(fd, &p);

	if (err) {
		close(fd);
		return err;
	}
	mh = calloc(1, sizeof(*mh));
	if (!mh) {
		close(fd);
		return -ENOMEM;
	}
	mh->fd = fd;
	mh->pool_len = p.pool_len;
	mh->map_len = p.pool_len + p.hall_len;
	mh->map = mmap(NULL, mh->map_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, 0);
	if (mh->map == MAP_FAILED) {
		err = -errno;
		close(fd);
		free(mh);
		return err;
	}
	madvise(mh->map, mh->pool_len, MADV_HUGEPAGE);
	mh->pinned = mlock(mh->map, mh->map_len) == 0;
	mh->lab.host = mh;
	err = lab_bind(&mh->lab, (char *)mh->map + mh->pool_len, mh->map,
		       LAB_NONE);
	if (err) {
		shm_unmap(mh);
		return err;
	}
	*out = mh;
	return 0;
}

void shm_unmap(struct lab_host *mh)
{
	if (mh->pinned)
		munlock(mh->map, mh->map_len);
	munmap(mh->map, mh->map_len);
	close(mh->fd);
	free(mh);
}
