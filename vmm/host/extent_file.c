// SPDX-License-Identifier: MIT
/*
 * extent_file.c - the files the rooms live in (labyrinth_extent.h):
 * /dev/shm/labyrinth.NAME+K for a named labyrinth, memfds for a private
 * one.  '+' never appears in a name, so no labyrinth's metadata file can be
 * another's extent.
 *
 * Made like the metadata file: nameless (O_TMPFILE), sized, fully backed,
 * and linked under their names only once all are made and before the
 * metadata file is, so whoever finds the name finds every extent.  Found
 * like it too: used only if trusted (trust.c) and exactly the size the
 * plaque implies (backed again by whoever maps it, unless it is lent:
 * shm.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

#define EXTENT_PATH_MAX	(sizeof(LAB_SHM_DIR) + LAB_NAME_MAX + 32)

uint32_t lab_extent_default(uint32_t rooms)
{
	uint32_t e = LAB_DISTRICT_ROOMS;

	while (e * 2 <= LAB_EXTENT_DEFAULT_ROOMS && e * 2 <= rooms / 4)
		e *= 2;
	while (extent_count(rooms, e) > LAB_EXTENTS_MAX)
		e *= 2;
	return e;
}

int lab_extent_check(uint32_t rooms, uint32_t extent_rooms)
{
	if (extent_rooms < LAB_DISTRICT_ROOMS || extent_rooms & (extent_rooms - 1) ||
	    extent_rooms > LAB_MAX_ROOMS)
		return LAB_EINVAL;
	return extent_count(rooms, extent_rooms) > LAB_EXTENTS_MAX ? LAB_EINVAL : 0;
}

uint32_t extent_count(uint32_t rooms, uint32_t extent_rooms)
{
	return (uint32_t)(((uint64_t)rooms + extent_rooms - 1) / extent_rooms);
}

uint64_t extent_table_len(uint32_t extents)
{
	uint64_t len = (uint64_t)extents * LAB_EXTENT_REC_SIZE;

	return (len + LAB_ROOM_SIZE - 1) & ~(uint64_t)(LAB_ROOM_SIZE - 1);
}

static off_t extent_size(uint32_t rooms, uint32_t extent_rooms, uint32_t k)
{
	uint32_t first = k * extent_rooms;
	uint32_t n = rooms - first < extent_rooms ? rooms - first : extent_rooms;

	return (off_t)n * LAB_ROOM_SIZE;
}

static void extent_path(const char *name, uint32_t k, char *buf)
{
	snprintf(buf, EXTENT_PATH_MAX, LAB_SHM_DIR "/labyrinth.%s+%u", name, k);
}

static int extent_new(const char *name, uint32_t gid, off_t size, int *fd)
{
	int err = 0;

	*fd = name ? open(LAB_SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)
		   : memfd_create("labyrinth-extent", MFD_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (gid != LAB_NOGROUP &&
	    (fchown(*fd, (uid_t)-1, (gid_t)gid) || fchmod(*fd, 0660)))
		err = -errno;
	if (!err && ftruncate(*fd, size))
		err = errno == EFBIG || errno == ENOSPC ? LAB_ENOSPC : -errno;
	if (!err)
		err = backing_reserve(*fd, size);
	return err;
}

void extent_files_close(int *ext, uint32_t n)
{
	if (!ext)
		return;
	for (uint32_t k = 0; k < n; k++)
		if (ext[k] >= 0)
			close(ext[k]);
	free(ext);
}

static int *extent_fds(uint32_t n)
{
	int *ext = malloc(n * sizeof(*ext));

	for (uint32_t k = 0; ext && k < n; k++)
		ext[k] = -1;
	return ext;
}

int extent_files_make(const char *name, uint32_t rooms, uint32_t extent_rooms,
		      uint32_t gid, int **out)
{
	uint32_t n = extent_count(rooms, extent_rooms);
	int *ext = extent_fds(n);
	int err = ext ? 0 : -ENOMEM;

	for (uint32_t k = 0; !err && k < n; k++)
		err = extent_new(name, gid, extent_size(rooms, extent_rooms, k), &ext[k]);
	if (err) {
		extent_files_close(ext, n);
		return err;
	}
	*out = ext;
	return 0;
}

/*
 * The making lock: an OFD write lock on byte 1 of extent 0 (byte 0 was
 * once the lend lock), held by a creator from before it links the
 * extents until its metadata file is linked too (it closes them then).
 * Extents with no metadata file beside them are a creator's at work
 * while it is held, and a killed creator's leftovers once it is not.
 */
#define MAKING_BYTE	1

static int making_lock(int fd, int cmd, short type, struct flock *fl)
{
	*fl = (struct flock){ .l_type = type, .l_whence = SEEK_SET,
			      .l_start = MAKING_BYTE, .l_len = 1 };
	return fcntl(fd, cmd, fl) ? -errno : 0;
}

int extent_files_making(const int *ext)
{
	struct flock fl;

	return making_lock(ext[0], F_OFD_SETLK, F_WRLCK, &fl);
}

/* Is extent 0 of @name a creator's at work?  Only a file we would use
 * (trust.c) can be: a stranger's file at the name, or its lock, would
 * otherwise keep the name from us for good. */
static bool extent_being_made(const char *name)
{
	char path[EXTENT_PATH_MAX];
	struct flock fl;
	bool made;
	int fd;

	extent_path(name, 0, path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	made = !trust_file(fd) &&
	       (making_lock(fd, F_OFD_GETLK, F_WRLCK, &fl) || fl.l_type != F_UNLCK);
	close(fd);
	return made;
}

/* Exactly extents @from..@to-1: a destroy going on past its own
 * labyrinth's removed those a create had just linked under the name. */
void extent_files_unlink(const char *name, uint32_t from, uint32_t to)
{
	char path[EXTENT_PATH_MAX];

	for (uint32_t k = from; k < to && k < LAB_EXTENTS_MAX; k++) {
		extent_path(name, k, path);
		unlink(path);
	}
}

/* Whether @name has a metadata file, or a creator at work on it. */
static bool name_in_use(const char *name)
{
	char path[SHM_PATH_MAX];
	struct stat st;

	shm_path(name, path);
	return !lstat(path, &st) || extent_being_made(name);
}

/*
 * What a creator killed between the two names left (how many, nothing
 * says), or a squatter put under any extent name: every number is looked
 * at, a missing one does not end the walk (a file at +1 alone blocked the
 * name for good).  Never what a live creator has linked so far, nor a
 * labyrinth made meanwhile: the creator holds extent 0's making lock
 * until its metadata file is linked, so we look before each step.
 */
int extent_leftovers_unlink(const char *name, uint32_t from)
{
	char path[EXTENT_PATH_MAX];
	int err = 0;

	for (uint32_t k = from; k < LAB_EXTENTS_MAX; k++) {
		if (name_in_use(name))
			break;
		extent_path(name, k, path);
		if (unlink(path) && errno != ENOENT)
			err = LAB_ETAKEN;
	}
	return err;
}

int extent_name_taken(const char *name)
{
	return name_in_use(name) ? LAB_EEXIST : LAB_ETAKEN;
}

int lab_extent_squatter(const char *name, char *path, size_t len, uint32_t *uid)
{
	char at[EXTENT_PATH_MAX];
	struct stat st;

	if (!lab_name_valid(name))
		return LAB_EINVAL;
	for (uint32_t k = 0; k < LAB_EXTENTS_MAX; k++) {
		extent_path(name, k, at);
		if (!lstat(at, &st)) {
			snprintf(path, len, "%s", at);
			*uid = (uint32_t)st.st_uid;
			return 0;
		}
	}
	return LAB_ENOENT;
}

/* All or none: a name taken meanwhile undoes the ones linked before it;
 * then whose the name is decides what we say (our own links gone, and
 * our making lock with them, so only another creator's counts). */
int extent_files_publish(const char *name, const int *ext, uint32_t n)
{
	char path[EXTENT_PATH_MAX], self[32];

	for (uint32_t k = 0; k < n; k++) {
		extent_path(name, k, path);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", ext[k]);
		if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW)) {
			int err = errno;

			extent_files_unlink(name, 0, k);
			return err == EEXIST ? extent_name_taken(name) : -err;
		}
	}
	return 0;
}

static int extent_find(const char *name, off_t size, uint32_t k, int *fd)
{
	char path[EXTENT_PATH_MAX];
	struct stat st;
	int err;

	extent_path(name, k, path);
	*fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? LAB_EPROTO :
		       errno == ELOOP || errno == EISDIR || errno == ENXIO ? LAB_EACCES : -errno;
	err = trust_file(*fd);
	if (!err && fstat(*fd, &st))
		err = -errno;
	if (!err && st.st_size != size)
		err = LAB_EPROTO;
	return err;
}

int extent_files_open(const char *name, uint32_t rooms, uint32_t extent_rooms, int **out)
{
	uint32_t n = extent_count(rooms, extent_rooms);
	int *ext = extent_fds(n);
	int err = ext ? 0 : -ENOMEM;

	for (uint32_t k = 0; !err && k < n; k++)
		err = extent_find(name, extent_size(rooms, extent_rooms, k), k, &ext[k]);
	if (err) {
		extent_files_close(ext, n);
		return err;
	}
	*out = ext;
	return 0;
}
