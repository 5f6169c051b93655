// SPDX-License-Identifier: MIT
/*
 * names.c - the labyrinths that exist: the metadata files under /dev/shm.
 * An extent file (labyrinth.NAME+K) is no name (a '+' is none of a
 * name's characters), and a labyrinth being made has no name yet (shm.c
 * links it only once it is whole).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define NAME_PREFIX	"labyrinth."

static int is_labyrinth(const struct dirent *d)
{
	return !strncmp(d->d_name, NAME_PREFIX, strlen(NAME_PREFIX)) &&
	       lab_name_valid(d->d_name + strlen(NAME_PREFIX));
}

int lab_names(void (*each)(const char *name, void *arg), void *arg)
{
	struct dirent **found;
	int n = scandir(LAB_SHM_DIR, &found, is_labyrinth, alphasort);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		each(found[i]->d_name + strlen(NAME_PREFIX), arg);
		free(found[i]);
	}
	free(found);
	return n;
}
