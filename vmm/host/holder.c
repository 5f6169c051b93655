// SPDX-License-Identifier: MIT
/*
 * holder.c - which process holds a lease, as this process can see it.
 *
 * The pid in a lease slot is what its holder saw of itself, in its own PID
 * namespace: not a name we can use.  The lock is: /proc/PID/fdinfo/FD of
 * the holder's fd on the labyrinth's file lists it as
 *	lock:	1: OFDLCK ADVISORY  WRITE -1 00:1b:1288 6000 6000
 * (major:minor:inode of the file, first and last byte; the pid field of an
 * OFD lock is -1, since the lock is the file description's).  So every
 * fd in our /proc that is the labyrinth's file is looked at.  PIDs come out
 * as this process's namespace numbers them; holders it cannot see (another
 * namespace, or another user's process when not root) stay -1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "host.h"
#include "parse.h"

/* The slot whose lock this fdinfo line shows, or -1. */
static int lock_slot(const struct lab_host *mh, const char *line)
{
	unsigned int maj, mnt;
	unsigned long ino;
	long long first, last;

	if (sscanf(line, "lock: %*d: OFDLCK ADVISORY WRITE %*d %x:%x:%lu %lld %lld",
		   &maj, &mnt, &ino, &first, &last) != 5)
		return -1;
	if (maj != major(mh->dev) || mnt != minor(mh->dev) || ino != mh->ino ||
	    first != last || first < mh->locks ||
	    first >= mh->locks + LAB_MAX_GUESTS)
		return -1;
	return (int)(first - mh->locks);
}

static void fd_locks(const struct lab_host *mh, int pid, const char *fd,
		     int holder[LAB_MAX_GUESTS])
{
	char path[64], line[256];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fd);
	if (stat(path, &st) || st.st_dev != mh->dev || st.st_ino != mh->ino)
		return;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int g = lock_slot(mh, line);

		if (g >= 0 && holder[g] < 0)
			holder[g] = pid;
	}
	fclose(f);
}

static void process_locks(const struct lab_host *mh, int pid,
			  int holder[LAB_MAX_GUESTS])
{
	char path[32];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;		/* gone, or not ours to look at */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			fd_locks(mh, pid, e->d_name, holder);
	closedir(d);
}

void holder_scan(const struct lab_host *mh, int holder[LAB_MAX_GUESTS])
{
	struct dirent *e;
	DIR *proc;

	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		holder[g] = -1;
	proc = opendir("/proc");
	if (!proc)
		return;
	while ((e = readdir(proc))) {
		uint64_t pid;

		if (!parse_uint(e->d_name, 1, INT32_MAX, &pid))
			process_locks(mh, (int)pid, holder);
	}
	closedir(proc);
}
