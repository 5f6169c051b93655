// SPDX-License-Identifier: MIT
/*
 * trust.c - whose labyrinth files we use.  /dev/shm is writable by every
 * local user, so the file found under a name may have been put there by
 * anyone.  It is used only if it is a regular file owned by us or by root,
 * with one name only (none: destroyed since it was opened, -ESTALE), and nobody else can write it: not others ever, and
 * its group only when that group is the operators' group this process was
 * told to trust (lab_trust_group(), or LABYRINTH_GROUP in the environment).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "parse.h"

static uint32_t trusted_gid = LAB_NOGROUP;
static bool trusted_set;

void lab_trust_group(uint32_t gid)
{
	trusted_gid = gid;
	trusted_set = true;
}

/* An unknown group in the environment trusts nobody: refusing is safe. */
static uint32_t trusted_group(void)
{
	const char *env = getenv("LABYRINTH_GROUP");
	uint32_t gid;

	if (trusted_set)
		return trusted_gid;
	if (env && !parse_group(env, &gid))
		return gid;
	return LAB_NOGROUP;
}

int trust_file(int fd)
{
	uint32_t group = trusted_group();
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return LAB_EACCES;
	/* Unlinked since we opened it: a destroy won the race, and the name
	 * names nothing of ours (the caller looks it up again). */
	if (st.st_nlink == 0)
		return -ESTALE;
	/* We never link a labyrinth's file twice.  A second name is someone
	 * else's doing: where the kernel lets users link files they do not
	 * own (fs.protected_hardlinks=0), the halls and extents of different
	 * labyrinths could be put together under one name. */
	if (st.st_nlink != 1)
		return LAB_EACCES;
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return LAB_EACCES;
	if (st.st_mode & S_IWOTH)
		return LAB_EACCES;
	if ((st.st_mode & S_IWGRP) &&
	    (group == LAB_NOGROUP || st.st_gid != (gid_t)group))
		return LAB_EACCES;
	return 0;
}
