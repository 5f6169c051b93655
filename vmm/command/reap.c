// SPDX-License-Identifier: MIT
/*
 * reap.c - `labyrinth reap NAME`: scrub and free the rooms of every dead
 * lease.
 */
#include <stdio.h>

#include "cli.h"
#include "labyrinth_host.h"

int cmd_reap(int argc, char **argv)
{
	struct labyrinth *lab;
	const char *name;
	int err;

	name = cli_name_only(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("reap", name, err);
	err = lab_reap(lab);
	lab_detach(lab);
	if (err < 0)
		return cli_fail("reap", name, err);
	printf("reaped %d rooms\n", err);
	return CLI_OK;
}
