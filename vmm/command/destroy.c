// SPDX-License-Identifier: MIT
/*
 * destroy.c - `labyrinth destroy NAME`: unlink the shared file.
 * Processes still attached keep their mapping until they detach.
 */
#include "cli.h"
#include "labyrinth.h"

int cmd_destroy(int argc, char **argv)
{
	static const struct option opts[] = { { 0 } };
	const char *name;
	int err;

	if (cli_option(argc, argv, opts) != -1)
		return CLI_EUSAGE;
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_destroy(name);
	if (err)
		return cli_fail("destroy", name, err);
	return CLI_OK;
}
