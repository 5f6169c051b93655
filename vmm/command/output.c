// SPDX-License-Identifier: MIT
/*
 * output.c - writing what a verb made (metrics, a map's SVG) to a file
 * named on the command line: whole or not at all, and never through a
 * link.  The text goes to a new file beside PATH (O_EXCL: a name someone
 * planted there is refused, not followed), renamed over PATH, which
 * replaces a symlink at PATH instead of writing where it points (root
 * running `map --svg /dev/shm/x.svg` once wrote into the file a local
 * user's symlink named).  A reader sees the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

int cli_write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temporary name does not end like PATH (.prom, .svg), so a
 * collector watching a directory skips it. */
int cli_write_file(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	err = cli_write_all(fd, text, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
