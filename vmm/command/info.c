// SPDX-License-Identifier: MIT
/*
 * cmd_info.c - `labyrinth info NAME [--json]`: counts from the maps (exact)
 * and the lease table.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "labyrinth.h"

static double fill(uint32_t rooms, uint32_t free)
{
	return rooms ? (double)(rooms - free) / rooms : 0.0;
}

static void info_json(const char *name, const struct labyrinth *lab,
		      const struct lab_census *c)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	unsigned int n = lab_leases(lab, l, LAB_MAX_GUESTS);

	printf("{\"name\":\"%s\",\"rooms\":%u,\"free\":%u,\"reserved\":%u,"
	       "\"claimed\":%u,\"pinned\":%s,\"corridors\":[", name, c->rooms,
	       c->free, c->reserved, c->claimed,
	       lab_pinned(lab) ? "true" : "false");
	for (uint32_t k = 0; k < c->corridors; k++)
		printf("%s{\"corridor\":%u,\"rooms\":%u,\"free\":%u,"
		       "\"fill\":%.4f}", k ? "," : "", k, c->corridor_rooms[k],
		       c->corridor_free[k],
		       fill(c->corridor_rooms[k], c->corridor_free[k]));
	printf("],\"owners\":[");
	for (unsigned int i = 0; i < n; i++)
		printf("%s{\"guest\":%u,\"pid\":%d,\"alive\":%s,\"rooms\":%u}",
		       i ? "," : "", l[i].guest, l[i].pid,
		       l[i].alive ? "true" : "false", l[i].rooms);
	printf("]}\n");
}

static void info_text(const char *name, const struct labyrinth *lab,
		      const struct lab_census *c)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	unsigned int n = lab_leases(lab, l, LAB_MAX_GUESTS);

	printf("labyrinth %s: %u rooms, %u free, %u reserved, %u claimed%s\n",
	       name, c->rooms, c->free, c->reserved, c->claimed,
	       lab_pinned(lab) ? ", pinned" : "");
	for (uint32_t k = 0; k < c->corridors; k++)
		printf("  corridor %u: %u rooms, %u free, fill %.1f %%\n", k,
		       c->corridor_rooms[k], c->corridor_free[k],
		       100.0 * fill(c->corridor_rooms[k], c->corridor_free[k]));
	for (unsigned int i = 0; i < n; i++)
		printf("  guest %u: pid %d %s, %u rooms\n", l[i].guest, l[i].pid,
		       l[i].alive ? "alive" : "dead", l[i].rooms);
}

int cmd_info(int argc, char **argv)
{
	const char *name = argv[1];
	struct labyrinth *lab;
	struct lab_census c;
	bool json = false;
	int err;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json"))
			return cli_usage("info: unknown option '%s'", argv[i]);
		json = true;
	}
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("info", name, err);
	lab_census(lab, &c);
	if (json)
		info_json(name, lab, &c);
	else
		info_text(name, lab, &c);
	lab_detach(lab);
	return CLI_OK;
}
