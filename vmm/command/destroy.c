// SPDX-License-Identifier: MIT
/*
 * cmd_destroy.c - `labyrinth destroy NAME`: unlink the shared file.
 * Processes still attached keep their mapping until they detach.
 */
#include "cli.h"
#include "labyrinth.h"

int cmd_destroy(int argc, char **argv)
{
	const char *name = argv[1];
	int err;

	if (argc > 2)
		return cli_usage("destroy: unknown option '%s'", argv[2]);
	err = lab_destroy(name);
	if (err)
		return cli_fail("destroy", name, err);
	return CLI_OK;
}
