// SPDX-License-Identifier: MIT
/*
 * create.c - `labyrinth create NAME --rooms N [--corridors K]
 * [--reserve R] [--extent SIZE] [--group GROUP]`.  SIZE (bytes, or with
 * K, M, G) is the size of each extent file (labyrinth_extent.h): a power
 * of two of whole 2 MiB districts; the default is a quarter of the pool,
 * at most 256 MiB.  A QEMU guest is lent one extent per device.
 */
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "labyrinth_host.h"
#include "labyrinth_extent.h"
#include "parse.h"

static int extent_option(const char *s, uint32_t *extent_rooms)
{
	uint64_t bytes;

	if (parse_size(s, &bytes) || !bytes || bytes % LAB_ROOM_SIZE ||
	    bytes / LAB_ROOM_SIZE > LAB_MAX_ROOMS)
		return cli_usage("create: --extent %s: a size in bytes (K, M, G allowed), "
				 "a power of two of at least 2M", s);
	*extent_rooms = (uint32_t)(bytes / LAB_ROOM_SIZE);
	return 0;
}

static int create_options(int argc, char **argv, struct lab_geometry *geo,
			  uint32_t *extent_rooms, uint32_t *gid)
{
	enum { OPT_ROOMS = 256, OPT_CORRIDORS, OPT_RESERVE, OPT_GROUP, OPT_EXTENT };
	static const struct option opts[] = {
		{ "rooms", required_argument, NULL, OPT_ROOMS },
		{ "corridors", required_argument, NULL, OPT_CORRIDORS },
		{ "reserve", required_argument, NULL, OPT_RESERVE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "extent", required_argument, NULL, OPT_EXTENT },
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
		} else if (c == OPT_EXTENT) {
			err = extent_option(optarg, extent_rooms);
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
	uint32_t gid = LAB_NOGROUP, extent_rooms = 0;
	const char *name;
	int err = create_options(argc, argv, &geo, &extent_rooms, &gid);

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
	if (extent_rooms && lab_extent_check(geo.rooms, extent_rooms)) {
		fprintf(stderr, "labyrinth: create: bad --extent: a power of two of whole "
			"districts (2M, 4M, ... 256M, ...), at most %u extents\n", LAB_EXTENTS_MAX);
		return CLI_EUSAGE;
	}
	err = lab_create_extents(name, &geo, extent_rooms, gid);
	if (err)
		return cli_fail("create", name, err);
	return CLI_OK;
}
