// SPDX-License-Identifier: MIT
/*
 * create.c - `labyrinth create NAME --rooms N [--corridors K]
 * [--reserve R] [--group GROUP]`.
 */
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "labyrinth.h"

static int create_options(int argc, char **argv, struct lab_geometry *geo,
			  uint32_t *gid)
{
	enum { OPT_ROOMS = 256, OPT_CORRIDORS, OPT_RESERVE, OPT_GROUP };
	static const struct option opts[] = {
		{ "rooms", required_argument, NULL, OPT_ROOMS },
		{ "corridors", required_argument, NULL, OPT_CORRIDORS },
		{ "reserve", required_argument, NULL, OPT_RESERVE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ 0 },
	};
	bool rooms = false;
	int c, err = 0;

	while (!err && (c = cli_option(argc, argv, opts)) != -1) {
		if (c == OPT_ROOMS) {
			err = cli_number("--rooms", optarg, 1, LAB_MAX_ROOMS, &geo->rooms);
			rooms = true;
		} else if (c == OPT_CORRIDORS) {
			err = cli_number("--corridors", optarg, 1, LAB_MAX_CORRIDORS,
					 &geo->corridors);
		} else if (c == OPT_RESERVE) {
			err = cli_number("--reserve", optarg, 0, LAB_MAX_ROOMS, &geo->reserve);
		} else if (c == OPT_GROUP) {
			err = cli_group("--group", optarg, gid);
		} else {
			err = CLI_EUSAGE;
		}
	}
	if (!err && !rooms)
		err = cli_usage("create: --rooms N is required");
	return err;
}

int cmd_create(int argc, char **argv)
{
	struct lab_geometry geo = { .corridors = 1 };
	uint32_t gid = LAB_NOGROUP;
	const char *name;
	int err = create_options(argc, argv, &geo, &gid);

	if (err)
		return err;
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	if (lab_geometry_check(&geo)) {
		fprintf(stderr, "labyrinth: create: bad sizes: rooms 1..%u, "
			"corridors 1..%u and at most one per 512 rooms, "
			"reserve < rooms\n", LAB_MAX_ROOMS, LAB_MAX_CORRIDORS);
		return CLI_EUSAGE;
	}
	err = lab_create_group(name, &geo, gid);
	if (err)
		return cli_fail("create", name, err);
	return CLI_OK;
}
