// SPDX-License-Identifier: MIT
/*
 * backing.c - memory behind every byte of the labyrinth's file.
 *
 * tmpfs grows a sparse file page by page as it is touched; when it is
 * full (its size= limit, or memory), the touching process gets SIGBUS, and
 * that could be any monitor, `labyrinth info` or `reap`.  So the file is
 * fully allocated when it is made (and again by anyone attaching to one
 * that is not, such as a file made elsewhere), and a mapping is populated
 * with an error return instead of a fault: running out of memory is a
 * message and a status, never a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "host.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int no_space(int err)
{
	return err == ENOSPC || err == ENOMEM || err == EFBIG || err == EFAULT ?
	       LAB_ENOSPC : -err;
}

/* What memory can still take in bytes: MemAvailable and free swap from
 * /proc/meminfo, or UINT64_MAX when it cannot be read (no opinion). */
static uint64_t memory_left(void)
{
	uint64_t avail = 0, swap = 0, kb;
	bool found = false;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			avail = kb, found = true;
		else if (sscanf(line, "SwapFree: %" SCNu64 " kB", &kb) == 1)
			swap = kb;
	}
	fclose(f);
	return found ? (avail + swap) * 1024 : UINT64_MAX;
}

/*
 * A tmpfs may be allowed more than memory holds (its size= is only a
 * ceiling): filling it then does not fail with ENOSPC, the kernel's OOM
 * killer ends the creator (or a bystander) with SIGKILL.  `labyrinth
 * create --rooms 67108864` was killed that way where /dev/shm is as big
 * as memory.  So a labyrinth larger than what memory and swap can still
 * take is refused before a byte of it is allocated.
 */
int backing_fits(uint64_t bytes)
{
	return bytes > memory_left() ? LAB_ENOSPC : 0;
}

int backing_reserve(int fd, off_t size)
{
	int err = posix_fallocate(fd, 0, size);	/* an errno, not -1 */

	return err ? no_space(err) : 0;
}

/* Cheap when already backed: tmpfs counts the blocks it holds. */
int backing_ensure(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if ((uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size)
		return 0;
	return backing_reserve(fd, st.st_size);
}

/* Kernels before 5.14 lack MADV_POPULATE_WRITE (EINVAL): the file is
 * backed already, so mlock()'s faults will find their pages. */
int backing_populate(void *map, size_t len)
{
	if (!madvise(map, len, MADV_POPULATE_WRITE) || errno == EINVAL)
		return 0;
	return no_space(errno);
}
