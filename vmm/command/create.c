// SPDX-License-Identifier: MIT
/*
 * cmd_create.c - `labyrinth create NAME --rooms N [--corridors K]
 * [--reserve R]`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "labyrinth.h"

static int create_options(int argc, char **argv, struct lab_geometry *geo)
{
	bool rooms = false;

	for (int i = 2; i < argc; i += 2) {
		uint32_t *field;

		if (!strcmp(argv[i], "--rooms")) {
			field = &geo->rooms;
			rooms = true;
		} else if (!strcmp(argv[i], "--corridors")) {
			field = &geo->corridors;
		} else if (!strcmp(argv[i], "--reserve")) {
			field = &geo->reserve;
		} else {
			return cli_usage("create: unknown option '%s'", argv[i]);
		}
		if (cli_number(argv[i], argv[i + 1], field))
			return CLI_EUSAGE;
	}
	if (!rooms)
		return cli_usage("create: --rooms N is required");
	return 0;
}

int cmd_create(int argc, char **argv)
{
	struct lab_geometry geo = { .corridors = 1 };
	const char *name = argv[1];
	int err = create_options(argc, argv, &geo);

	if (err)
		return err;
	if (lab_geometry_check(&geo)) {
		fprintf(stderr, "labyrinth: create: bad sizes: rooms 1..%u, "
			"corridors 1..%u and at most one per 512 rooms, "
			"reserve < rooms\n", LAB_MAX_ROOMS, LAB_MAX_CORRIDORS);
		return CLI_EUSAGE;
	}
	err = lab_create(name, &geo);
	if (err)
		return cli_fail("create", name, err);
	return CLI_OK;
}
