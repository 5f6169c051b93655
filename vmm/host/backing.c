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
