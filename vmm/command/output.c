// SPDX-License-Identifier: MIT
/*
 * output.c - writing what a verb made (metrics, a map's SVG) to the PATH
 * named on the command line, `-` being stdout.  What is at PATH decides:
 *
 *  - nothing, or a regular file: the text goes to a new file beside PATH
 *    (O_EXCL: a name someone planted there is refused, not followed),
 *    renamed over PATH, so a reader sees the old file or the new one
 *    whole, and a full disk leaves the old one as it was;
 *  - a fifo or a character device: written to as such, as a shell's `>`
 *    would (renaming a file over it replaced root's /dev/null once);
 *  - a symbolic link: refused, neither followed (root writing into the
 *    file a local user's link named) nor replaced (/dev/stdout is one);
 *  - anything else (a socket, a block device, a directory): refused.
 *
 * Between the look and the rename only the owner of the directory entry,
 * or root, can swap what is there, and only root makes devices: a
 * neighbour can make us replace nothing but its own entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
static int replace_whole(const char *path, const char *text, size_t len)
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

static bool written_in_place(mode_t mode)
{
	return S_ISFIFO(mode) || S_ISCHR(mode);
}

/* A fifo or device: no O_TRUNC, no fsync (neither means anything there);
 * what was opened must still be of the kind we looked at. */
static int write_in_place(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	int err;

	if (fd < 0)
		return -errno;
	err = fstat(fd, &st) ? -errno : 0;
	if (!err && !written_in_place(st.st_mode))
		err = -ESTALE;
	if (!err)
		err = cli_write_all(fd, text, len);
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static const char *refused_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link: not followed, not replaced "
		       "(name the file itself, or - for stdout)";
	if (S_ISSOCK(mode))
		return "a socket: not replaced";
	if (S_ISBLK(mode))
		return "a block device: not replaced";
	if (S_ISDIR(mode))
		return "a directory";
	return NULL;
}

static int write_path(const char *verb, const char *path, const char *text,
		      size_t len)
{
	struct stat st;
	const char *kind;

	if (lstat(path, &st)) {
		if (errno != ENOENT)
			return -errno;
		return replace_whole(path, text, len);
	}
	if (written_in_place(st.st_mode))
		return write_in_place(path, text, len);
	if (S_ISREG(st.st_mode))
		return replace_whole(path, text, len);
	kind = refused_kind(st.st_mode);
	cli_error("%s: '%s' is %s", verb, path, kind ? kind : "not a regular file");
	return 1;
}

int cli_output(const char *verb, const char *path, const char *text, size_t len)
{
	bool out = !strcmp(path, "-");
	int err = out ? cli_write_all(STDOUT_FILENO, text, len)
		      : write_path(verb, path, text, len);

	if (err < 0)
		cli_error("%s: cannot write '%s': %s", verb, out ? "stdout" : path,
			  strerror(-err));
	return err ? CLI_ESYS : CLI_OK;
}
