// SPDX-License-Identifier: MIT
/*
 * cmd_reap.c - `labyrinth reap NAME`: scrub and free the rooms of every
 * dead lease.
 */
#include <stdio.h>

#include "cli.h"
#include "labyrinth.h"

int cmd_reap(int argc, char **argv)
{
	const char *name = argv[1];
	struct labyrinth *lab;
	int err;

	if (argc > 2)
		return cli_usage("reap: unknown option '%s'", argv[2]);
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
