// SPDX-License-Identifier: MIT
/*
 * destroy.c - `labyrinth destroy NAME`: unlink the shared file.
 * Processes still attached keep their mapping until they detach.
 */
#include "cli.h"
#include "labyrinth_host.h"

int cmd_destroy(int argc, char **argv)
{
	const char *name;
	int err;

	name = cli_name_only(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_destroy(name);
	if (err)
		return cli_fail("destroy", name, err);
	return CLI_OK;
}
