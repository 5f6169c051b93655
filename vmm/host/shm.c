// SPDX-License-Identifier: MIT
/*
 * shm.c - the labyrinth's metadata file (/dev/shm/labyrinth.NAME or a
 * memfd) and the mapping of its pool from the extents.
 *
 * A named labyrinth is made nameless (O_TMPFILE), sized, backed, formatted,
 * and only then linked under its name: nobody can attach to a half-made
 * labyrinth, and a creator killed half way leaves nothing behind.
 *
 * The metadata file and every extent (extent_file.c) are mapped
 * MAP_SHARED, populated and mlock()ed so a claim never faults on the host.  Not hugetlbfs: the VMM maps single 4 KiB
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

bool lab_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 1 && n <= LAB_NAME_MAX && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == n;
}

int shm_path(const char *name, char *buf)
{
	if (!lab_name_valid(name))
		return LAB_EINVAL;
	snprintf(buf, SHM_PATH_MAX, LAB_SHM_DIR "/labyrinth.%s", name);
	return 0;
}

static int plaque_write(int fd, const struct lab_geometry *geo, uint32_t extent_rooms)
{
	uint32_t extents = extent_count(geo->rooms, extent_rooms);
	struct lab_plaque p = {
		.magic = LAB_PLAQUE_MAGIC,
		.pool_len = (uint64_t)geo->rooms * LAB_ROOM_SIZE,
		.hall_len = lab_hall_size(geo),
		.table_len = extent_table_len(extents),
		.extent_rooms = extent_rooms,
	};
	off_t end = (off_t)(p.hall_len + p.table_len);

	if (pwrite(fd, &p, sizeof(p), end) != (ssize_t)sizeof(p))
		return -EIO;
	return 0;
}

/* Format the hall through a temporary mapping of it. */
static int hall_write(int fd, const struct lab_geometry *geo)
{
	size_t len = lab_hall_size(geo);
	void *hall = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err;

	if (hall == MAP_FAILED)
		return -errno;
	err = lab_hall_format(hall, geo);
	munmap(hall, len);
	return err;
}

/* Every byte backed before anything is written: no page of it can fault
 * for want of memory later (SIGBUS) in any process that maps it.  The
 * extent table starts zeroed: every extent is the monitors'. */
static int shm_format(int fd, const struct lab_geometry *geo, uint32_t extent_rooms)
{
	off_t size = (off_t)(lab_hall_size(geo) +
			     extent_table_len(extent_count(geo->rooms, extent_rooms)) +
			     LAB_ROOM_SIZE);
	int err;

	if (ftruncate(fd, size))
		return errno == EFBIG || errno == ENOSPC ? LAB_ENOSPC : -errno;
	err = backing_reserve(fd, size);
	if (!err)
		err = plaque_write(fd, geo, extent_rooms);
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

static int shm_sizes(const char *name, const struct lab_geometry *geo,
		     uint32_t *extent_rooms, uint32_t gid, char *path)
{
	int err = lab_geometry_check(geo);

	if (!err && !*extent_rooms)
		*extent_rooms = lab_extent_default(geo->rooms);
	if (!err)
		err = lab_extent_check(geo->rooms, *extent_rooms);
	if (!err && name)
		err = shm_path(name, path);
	if (!err && !name && gid != LAB_NOGROUP)
		err = LAB_EINVAL;	/* nobody else sees a memfd */
	return err;
}

void (*lab_test_publish_pause)(const char *name);

/* The extents get their names first: whoever finds the metadata file's
 * name finds them too.  Until it has its own, extent 0's making lock
 * keeps a destroy from taking them for a killed creator's leftovers. */
static int shm_publish_all(const char *name, const char *path, int fd, const int *ext,
			   uint32_t extents)
{
	int err = extent_files_making(ext);

	if (!err)
		err = extent_files_publish(name, ext, extents);
	if (!err) {
		if (lab_test_publish_pause)
			lab_test_publish_pause(name);
		err = shm_publish(fd, path);
		if (err)
			extent_files_unlink(name, 0, extents);
	}
	return err;
}

int shm_make(const char *name, const struct lab_geometry *geo, uint32_t extent_rooms,
	     uint32_t gid, int *out, int **ext_out)
{
	char path[SHM_PATH_MAX];
	uint32_t extents;
	int fd, err, *ext = NULL;

	err = shm_sizes(name, geo, &extent_rooms, gid, path);
	if (!err)
		err = shm_new(name ? path : NULL, &fd);
	if (err)
		return err;
	/* A name taken is still 4; then whether memory can hold it all. */
	err = backing_fits(lab_hall_size(geo) +
			   extent_table_len(extent_count(geo->rooms, extent_rooms)) +
			   LAB_ROOM_SIZE + (uint64_t)geo->rooms * LAB_ROOM_SIZE);
	if (err) {
		close(fd);
		return err;
	}
	extents = extent_count(geo->rooms, extent_rooms);
	err = shm_share(fd, gid);
	if (!err)
		err = shm_format(fd, geo, extent_rooms);
	if (!err)
		err = extent_files_make(name, geo->rooms, extent_rooms, gid, &ext);
	if (!err && name)
		err = shm_publish_all(name, path, fd, ext, extents);
	if (err || name) {
		extent_files_close(ext, extents);
		ext = NULL;
	}
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	*ext_out = ext;
	return 0;
}

/* Anyone may put a file at the name first: it is used only if trusted
 * (trust.c).  O_NOFOLLOW: a symlink planted there is refused, not
 * followed; O_NONBLOCK: a fifo planted there cannot stall the open. */
void (*lab_test_found_pause)(const char *name);

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
		/* A symlink, a directory, or a socket (ENXIO): not a file we
		 * made, refused as a fifo is (a socket was "system error"). */
		return errno == ELOOP || errno == EISDIR || errno == ENXIO ? LAB_EACCES
									    : -errno;
	}
	if (lab_test_found_pause)
		lab_test_found_pause(name);
	err = trust_file(fd);
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

static int plaque_read(int fd, const struct stat *st, struct lab_plaque *p);
void (*lab_test_destroy_pause)(const char *name, uint32_t k);

/* How many extents the labyrinth at @path has, 0 if it cannot say. */
static uint32_t shm_extents_named(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct lab_plaque p;
	struct stat st;
	uint32_t n = 0;

	if (fd < 0)
		return 0;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && !plaque_read(fd, &st, &p))
		n = extent_count((uint32_t)(p.pool_len / LAB_ROOM_SIZE),
				 (uint32_t)p.extent_rooms);
	close(fd);
	return n;
}

int shm_unlink_name(const char *name)
{
	char path[SHM_PATH_MAX];
	uint32_t n;
	int err = shm_path(name, path);

	if (err)
		return err;
	n = shm_extents_named(path);
	if (unlink(path)) {
		err = errno == ENOENT ? LAB_ENOENT : -errno;
		/* No metadata file: what a creator killed between the two
		 * names left, or a squatter put there, if any. */
		if (err == LAB_ENOENT && extent_leftovers_unlink(name, 0))
			err = LAB_ETAKEN;
		return err;
	}
	/* A create may link its own extents as soon as ours are gone: only
	 * ours go by number (all of them, if the plaque cannot say how
	 * many); past them, only what no creator is making. */
	for (uint32_t k = 0; k < n; k++) {
		if (lab_test_destroy_pause)
			lab_test_destroy_pause(name, k);
		extent_files_unlink(name, k, k + 1);
	}
	if (lab_test_destroy_pause)
		lab_test_destroy_pause(name, n);
	return extent_leftovers_unlink(name, n);
}

/* The plaque is untrusted: its lengths must add up to the file's size
 * and describe a pool of whole rooms within the limits, in extents of a
 * valid size. */
static int plaque_read(int fd, const struct stat *st, struct lab_plaque *p)
{
	uint64_t size = (uint64_t)st->st_size, rooms;

	if (size < 2 * LAB_ROOM_SIZE ||
	    pread(fd, p, sizeof(*p), (off_t)(size - LAB_ROOM_SIZE)) != sizeof(*p))
		return LAB_EPROTO;
	rooms = p->pool_len / LAB_ROOM_SIZE;
	if (p->magic != LAB_PLAQUE_MAGIC || p->pool_len % LAB_ROOM_SIZE ||
	    p->pool_len == 0 || rooms > LAB_MAX_ROOMS ||
	    p->hall_len % LAB_ROOM_SIZE || p->hall_len == 0 || p->hall_len > size ||
	    p->extent_rooms > LAB_MAX_ROOMS ||
	    lab_extent_check((uint32_t)rooms, (uint32_t)p->extent_rooms) ||
	    p->table_len != extent_table_len(extent_count((uint32_t)rooms,
							  (uint32_t)p->extent_rooms)) ||
	    p->hall_len + p->table_len + LAB_ROOM_SIZE != size)
		return LAB_EPROTO;
	return 0;
}

/* Checked before any page of it is populated or pinned. */
static int shm_check(struct lab_host *mh, const struct lab_plaque *p)
{
	return lab_hall_check(mh->map, p->hall_len, p->pool_len / LAB_ROOM_SIZE);
}

/* One mapping per extent, in order, in one reserved range: the pool is
 * contiguous for the core, and the mappings stay LAB_EXTENTS_MAX at most. */
static int pool_map(struct lab_host *mh)
{
	uint64_t span = (uint64_t)mh->extent_rooms * LAB_ROOM_SIZE;
	uint8_t *pool = mmap(NULL, mh->pool_len, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (pool == MAP_FAILED)
		return -errno;
	mh->pool = pool;
	for (uint32_t k = 0; k < mh->extents; k++) {
		uint64_t at = k * span;
		size_t len = mh->pool_len - at < span ? mh->pool_len - at : span;

		if (mmap(pool + at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 mh->ext[k], 0) == MAP_FAILED)
			return -errno;
	}
	return 0;
}

void (*lab_test_open_pause)(const char *name);

/*
 * Whether @name still names the metadata file we hold (mh->dev, mh->ino).
 * The extents are found by name after the metadata file, so a destroy and
 * a create of the same name in between would pair our hall with another
 * labyrinth's rooms: each would hand out the same pages to its own
 * guests.  A labyrinth links its extents before its metadata file and a
 * destroy unlinks the metadata file first, and a file once unlinked is
 * never linked again; so if the name still names our file now, it did
 * all along, and the extents we found are its own.  Our open file keeps
 * its inode number from being reused.
 */
int shm_still_named(const char *name, const struct lab_host *mh)
{
	char path[SHM_PATH_MAX];
	struct stat st;

	if (shm_path(name, path) || lstat(path, &st) ||
	    st.st_dev != mh->dev || st.st_ino != mh->ino)
		return -ESTALE;
	return 0;
}

/* Extent @k is the monitors' and no lend of it has begun: a lend holds
 * the extent's districts, its first first, before it takes the fill lock. */
static bool extent_fillable(struct lab_host *mh, uint32_t k)
{
	uint32_t first = k * mh->extent_rooms / LAB_DISTRICT_ROOMS;

	return lab_extent_state(&mh->lab, k) == LAB_EXTENT_POOL &&
	       lab_district_lent_to(&mh->lab, first) == LAB_NONE;
}

void (*lab_test_fill_pause)(uint32_t k);

bool fill_begin(struct lab_host *mh, uint32_t k)
{
	if (fill_enter(mh, k))
		return false;
	if (extent_fillable(mh, k))
		return true;
	fill_leave(mh, k);
	return false;
}

/* Backed, if it is the monitors' (lock.c: a lend under way leaves it to
 * the lend, *@pinned as it was); with @fill populated and pinned too. */
static int extent_fill(struct lab_host *mh, uint32_t k, bool fill, bool *pinned)
{
	uint64_t at = (uint64_t)k * mh->extent_rooms * LAB_ROOM_SIZE;
	size_t len = mh->pool_len - at < (uint64_t)mh->extent_rooms * LAB_ROOM_SIZE
			     ? mh->pool_len - at : (uint64_t)mh->extent_rooms * LAB_ROOM_SIZE;
	int err;

	if (!fill_begin(mh, k))
		return 0;
	if (lab_test_fill_pause)
		lab_test_fill_pause(k);
	err = backing_ensure(mh->ext[k]);
	if (!err && fill)
		err = backing_populate((char *)mh->pool + at, len);
	*pinned = !err && fill && *pinned && mlock((char *)mh->pool + at, len) == 0;
	fill_leave(mh, k);
	return err;
}

/*
 * Every extent the monitors have is backed here (a file that cannot be is
 * refused now, not a SIGBUS later), and with @fill populated and pinned;
 * a lent one is left alone: its pages are a hole while it is lent (its
 * borrower's memory is its own, extent_lend.c), and touching it would pay
 * its memory twice.  Its lender gives it fresh pages when it comes back.
 */
static int pool_back(struct lab_host *mh, bool fill)
{
	bool pinned = fill && mlock(mh->map, mh->map_len) == 0;
	int err = 0;

	for (uint32_t k = 0; !err && k < mh->extents; k++)
		err = extent_fill(mh, k, fill, &pinned);
	mh->pinned = pinned;
	return err;
}

static int shm_mapping(const char *name, struct lab_host *mh, const struct lab_plaque *p,
		       bool fill)
{
	int err;

	mh->pool_len = p->pool_len;
	mh->extent_rooms = (uint32_t)p->extent_rooms;
	mh->extents = extent_count((uint32_t)(p->pool_len / LAB_ROOM_SIZE), mh->extent_rooms);
	mh->map_len = p->hall_len + p->table_len;
	mh->locks = (off_t)(mh->map_len + LAB_LOCK_OFFSET);
	mh->map = mmap(NULL, mh->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       mh->fd, 0);
	if (mh->map == MAP_FAILED) {
		mh->map = NULL;
		return -errno;
	}
	mh->table = (struct lab_extent_rec *)((char *)mh->map + p->hall_len);
	err = shm_check(mh, p);
	if (!err && !mh->ext) {
		if (lab_test_open_pause)
			lab_test_open_pause(name);
		err = extent_files_open(name, (uint32_t)(p->pool_len / LAB_ROOM_SIZE),
					mh->extent_rooms, &mh->ext);
		/* Also when the extents were missing: destroyed meanwhile. */
		if (shm_still_named(name, mh))
			err = -ESTALE;
	}
	if (!err)
		err = pool_map(mh);
	if (!err && !(mh->lend = lend_table_new(mh->extents)))
		err = -ENOMEM;
	if (err)
		return err;
	madvise(mh->pool, mh->pool_len, MADV_HUGEPAGE);
	err = backing_populate(mh->map, mh->map_len);
	/* Bound first: filling looks at the extents' districts. */
	if (!err)
		err = lab_bind(&mh->lab, mh->map, mh->pool, LAB_NONE);
	mh->filled = fill;
	if (!err)
		err = pool_back(mh, fill);
	return err;
}

/* What the file says, what backs it; then map, check, populate, pin and
 * bind a handle (no lease yet).  Takes @fd and @ext: they are closed on
 * failure and by shm_unmap(). */
int shm_map(const char *name, int fd, int *ext, uint32_t n_ext, bool fill,
	    struct lab_host **out)
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
		extent_files_close(ext, n_ext);
		free(mh);
		return err;
	}
	mh->fd = fd;
	mh->ext = ext;
	mh->dev = st.st_dev;
	mh->ino = st.st_ino;
	mh->lab.host = mh;
	err = shm_mapping(name, mh, &p, fill);
	if (err) {
		shm_unmap(mh);
		return err;
	}
	*out = mh;
	return 0;
}

/*
 * Why a description of its own: a lease is an OFD lock on the file, and a
 * lock a description already holds is granted to it again, so two leases
 * on one description could each take the other's slot for free.
 */
int shm_beside(struct lab_host *b, struct lab_host **out)
{
	struct lab_host *mh = malloc(sizeof(*mh));
	char self[64];
	int err;

	if (!mh)
		return -ENOMEM;
	*mh = *b;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", b->fd);
	mh->fd = open(self, O_RDWR | O_CLOEXEC);
	if (mh->fd < 0) {
		err = -errno;
		free(mh);
		return err;
	}
	mh->beside = b;
	mh->lab = (struct labyrinth){ .host = mh };
	err = lab_bind(&mh->lab, mh->map, mh->pool, LAB_NONE);
	if (err) {
		shm_unmap(mh);
		return err;
	}
	*out = mh;
	return 0;
}

void shm_unmap(struct lab_host *mh)
{
	if (mh->beside) {
		close(mh->fd);
		free(mh);
		return;
	}
	if (mh->map) {
		if (mh->pinned)
			munlock(mh->map, mh->map_len);
		munmap(mh->map, mh->map_len);
	}
	if (mh->pool) {
		if (mh->pinned)
			munlock(mh->pool, mh->pool_len);
		munmap(mh->pool, mh->pool_len);
	}
	extent_files_close(mh->ext, mh->extents);
	lend_table_free(mh->lend, mh->extents);
	close(mh->fd);
	free(mh);
}
