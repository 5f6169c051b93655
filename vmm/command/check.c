// SPDX-License-Identifier: MIT
/*
 * check.c - `labyrinth check NAME [--json]`: the invariant auditor
 * (labyrinth_audit.h), safe to run while guests claim and release.
 * Exit 0 when every promise holds, 1 with one line per violation (stdout),
 * or the command's usual statuses when the labyrinth cannot be opened.
 */
#include <stdio.h>

#include "cli.h"
#include "labyrinth_audit.h"

static const char *const kind_names[] = {
	[LAB_DIRTY_FREE_ROOM] = "dirty_free_room",
	[LAB_FOREIGN_REACHABLE] = "foreign_reachable",
	[LAB_LEAKED_ROOM] = "leaked_room",
	[LAB_LEAKED_DISTRICT] = "leaked_district",
	[LAB_EXTENT_BREACH] = "extent_breach",
};

struct listing {
	bool json;
	unsigned int printed;
};

static void print_violation(void *ctx, const struct lab_violation *v)
{
	struct listing *l = ctx;

	if (!l->json) {
		printf("violation: %s: %s\n", kind_names[v->kind], v->detail);
		return;
	}
	printf("%s{\"kind\":\"%s\",\"room\":%u,\"guest\":%d,\"detail\":\"%s\"}",
	       l->printed++ ? "," : "", kind_names[v->kind], v->room,
	       v->guest == LAB_NONE ? -1 : (int)v->guest, v->detail);
}

int cmd_check(int argc, char **argv)
{
	enum { OPT_JSON = 256 };	/* as every verb's: cli_option counts on it */
	static const struct option opts[] = { { "json", no_argument, NULL, OPT_JSON }, { 0 } };
	struct listing l = { 0 };
	struct lab_audit a = { .report = print_violation, .ctx = &l };
	struct labyrinth *lab;
	const char *name;
	int opt, err;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt != OPT_JSON)
			return CLI_EUSAGE;
		l.json = true;
	}
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("check", name, err);
	if (l.json)
		printf("{\"name\":\"%s\",\"violations\":[", name);
	err = lab_audit(lab, &a);
	if (l.json)
		printf("],\"ok\":%s,\"free_rooms\":%u,\"reachable_rooms\":%u,\"windows\":%u,"
		       "\"unchecked_windows\":%u}\n", err ? "false" : "true", a.free_rooms,
		       a.reachable_rooms, a.windows, a.unchecked_windows);
	else
		printf("labyrinth %s: %s (%u free rooms zero, %u reachable rooms in %u windows "
		       "owned by their guests%s)\n", name, err ? "VIOLATED" : "ok", a.free_rooms,
		       a.reachable_rooms, a.windows,
		       a.unchecked_windows ? ", some windows not visible from here" : "");
	lab_detach(lab);
	return err ? CLI_ESYS : CLI_OK;
}
