// SPDX-License-Identifier: MIT
/*
 * textfiles.c - the metrics textfiles written for a labyrinth, recorded
 * beside it (/dev/shm/labyrinth.NAME+textfiles: one absolute path a line;
 * a '+' is in no name, so no labyrinth is called that), so that destroying
 * the labyrinth removes them: node_exporter's textfile collector otherwise
 * goes on serving the last figures of a labyrinth that is gone.
 *
 * The record is in /dev/shm, where anyone may put a file: it is used only
 * if trusted as a labyrinth's file is (trust.c), and a file it names is
 * removed only if it still holds this labyrinth's metrics, so a planted or
 * stale line cannot make `destroy` remove anything else (nor open a fifo
 * and wait on it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

#define RECORD_MAX	65536	/* bytes of a record we read */

static int record_path(const char *name, char *buf, size_t len)
{
	if (!lab_name_valid(name))
		return LAB_EINVAL;
	snprintf(buf, len, LAB_SHM_DIR "/labyrinth.%s+textfiles", name);
	return 0;
}

/* The record, open, locked and trusted; -1 (errno set, or EACCES). */
static int record_open(const char *name, int flags)
{
	char path[PATH_MAX];
	int fd;

	if (record_path(name, path, sizeof(path)))
		return errno = EINVAL, -1;
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (trust_file(fd) || flock(fd, LOCK_EX)) {
		close(fd);
		return errno = EACCES, -1;
	}
	return fd;
}

/* What the record holds, NUL-terminated (in @buf of RECORD_MAX + 1). */
static ssize_t record_read(int fd, char *buf)
{
	ssize_t n = pread(fd, buf, RECORD_MAX, 0);

	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* @path made absolute, so that `destroy` run elsewhere finds it. */
static int absolute(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(out, len, "%s", path) < (int)len ? 0 : -ENAMETOOLONG;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return snprintf(out, len, "%s/%s", cwd, path) < (int)len ? 0 : -ENAMETOOLONG;
}

static bool recorded(const char *record, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = record; (p = strstr(p, line)); p += n)
		if ((p == record || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* @line at the end of the record; a line cut short (a full tmpfs) is
 * taken back, and a record that was empty goes: nothing is changed. */
static int record_append(int fd, const char *name, off_t before, const char *line)
{
	size_t len = strlen(line);
	ssize_t n = write(fd, line, len);
	char path[PATH_MAX];

	if (n == (ssize_t)len)
		return 0;
	n = n < 0 ? -errno : -ENOSPC;
	if (!before && !record_path(name, path, sizeof(path)))
		unlink(path);
	else if (ftruncate(fd, before))
		return -errno;
	return (int)n;
}

int lab_textfile_note(const char *name, const char *path)
{
	static char record[RECORD_MAX + 1];
	char line[PATH_MAX + 1];
	int fd, err = absolute(path, line, sizeof(line) - 1);
	ssize_t before;

	if (err)
		return err;
	if (strchr(line, '\n'))
		return LAB_EINVAL;
	fd = record_open(name, O_RDWR | O_CREAT | O_APPEND);
	if (fd < 0)
		return errno == EACCES ? LAB_EACCES : -errno;
	before = record_read(fd, record);
	if (before >= 0 && !recorded(record, line))
		err = record_append(fd, name, before, strcat(line, "\n"));
	close(fd);
	return err;
}

/* Whether @path holds metrics of labyrinth @name, as metrics.c writes them. */
static bool holds_metrics_of(const char *path, const char *name)
{
	char head[4096], label[LAB_NAME_MAX + 32];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n = fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 :
		    read(fd, head, sizeof(head) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	head[n] = 0;
	snprintf(label, sizeof(label), "{labyrinth=\"%s\"", name);
	return !strncmp(head, "# HELP labyrinth_", 17) && strstr(head, label);
}

void lab_textfiles_remove(const char *name)
{
	static char record[RECORD_MAX + 1];
	char path[PATH_MAX];
	int fd = record_open(name, O_RDONLY);

	if (fd < 0)
		return;
	record_read(fd, record);
	for (char *line = strtok(record, "\n"); line; line = strtok(NULL, "\n"))
		if (holds_metrics_of(line, name))
			unlink(line);
	record_path(name, path, sizeof(path));
	unlink(path);
	close(fd);
}
