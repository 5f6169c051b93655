// SPDX-License-Identifier: MIT
/*
 * main.c - main() of the `labyrinth` command: the usage text and the
 * table of verbs, each in its own file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "labyrinth_host.h"

static const char usage_text[] =
"usage: labyrinth COMMAND NAME [OPTIONS]\n"
"  create NAME --rooms N [--corridors K] [--reserve R] [--extent SIZE]\n"
"         [--group GROUP]\n"
"                       make a labyrinth of N 4 KiB rooms in K corridors\n"
"                       (default 1), R rooms kept for GFP_ATOMIC (default 0),\n"
"                       in extent files of SIZE (2M, 4M, ...: a power of two\n"
"                       of 2 MiB districts; default a quarter of the pool, at\n"
"                       most 256M); its memory is allocated now, all of it.\n"
"                       The files are 0600, or 0660 and of GROUP with --group\n"
"  info NAME [--json]   rooms, free, reserved, fill per corridor, leases\n"
"                       and their tallies (fields: README.md)\n"
"  map NAME [--svg FILE]\n"
"                       who holds which district: a row per corridor, a cell\n"
"                       per district (or group, to fit COLUMNS), owner glyph\n"
"                       and fill; colour on a terminal unless NO_COLOR is\n"
"                       set. --svg FILE ('-': stdout) writes an SVG, one\n"
"                       square per room up to 16384 rooms, else per district\n"
"  top NAME [--once] [--interval SECS]\n"
"                       live view every SECS (default 1): rooms, claims,\n"
"                       releases and refusals per second per guest, fill per\n"
"                       corridor; q or Ctrl-C leaves; --once prints one frame\n"
"                       (rates over one interval); status 3 if the labyrinth\n"
"                       is destroyed meanwhile\n"
"  metrics NAME [--textfile PATH | --listen [ADDR:]PORT]\n"
"                       Prometheus text format: to stdout, to PATH for\n"
"                       node_exporter's textfile collector (replaced whole),\n"
"                       or over HTTP at /metrics until SIGTERM, on 127.0.0.1\n"
"                       unless ADDR (numeric) is given; PORT 0 picks a free\n"
"                       one (said on stderr); status 3 once the labyrinth\n"
"                       is destroyed or made again\n"
"  reap NAME            free the rooms of dead leases (scrubbed)\n"
"  limit NAME GUEST [--max N|none] [--min M]\n"
"                       change a running guest's limits (the next claim sees\n"
"                       them): at most N rooms, M kept claimable for it\n"
"  check NAME [--json]  audit the promises while guests run: every free room\n"
"                       zero, every room a monitor's window reaches owned by\n"
"                       its guest, nothing leaked; exit 1 with one line per\n"
"                       violation\n"
"  destroy NAME         remove the labyrinth\n"
"  serve NAME --socket PATH [--vectors N] [--max-peers P] [--group GROUP]\n"
"        [--max-rooms N] [--min-rooms M] [--stats]\n"
"                       ivshmem server lending rooms to QEMU guests\n"
"                       (libvirt <shmem> ivshmem-doorbell) until SIGTERM\n"
"                       (status 3 once the labyrinth is destroyed or made again);\n"
"                       at most P peers (default 16), each holding a lease;\n"
"                       the socket is 0600, or 0660 and of GROUP with --group;\n"
"                       every peer gets --max-rooms/--min-rooms as its limits\n"
"  --help               this text\n"
"NAME: 1-64 of [A-Za-z0-9._-], not starting with '.'; the file is\n"
"/dev/shm/labyrinth.NAME. Numbers are decimal.\n"
"Trust: a labyrinth file is used only if it is a regular file owned by you\n"
"or root, not writable by others, and not writable by its group unless\n"
"that group is LABYRINTH_GROUP (environment: a group name or number; serve\n"
"--group sets it too).\n"
"exit status: 0 success, 1 system error, 2 usage error (unknown command\n"
"or option, bad number, bad sizes), 3 no labyrinth of that name,\n"
"4 a labyrinth of that name exists already, 5 the file is not trusted or\n"
"not a valid labyrinth, 6 not enough memory to back the labyrinth (the\n"
"tmpfs of /dev/shm is too small); map --svg, metrics --textfile: 1 when the\n"
"file cannot be written; metrics --listen: 1 when the address is in use or\n"
"cannot be bound; limit: 1 when no guest holds that lease, 2 when --min is\n"
"above --max, 6 when the mins together would pass the rooms less the reserve\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create },
	{ "info", cmd_info },
	{ "reap", cmd_reap },
	{ "check", cmd_check },
	{ "limit", cmd_limit },
	{ "destroy", cmd_destroy },
	{ "serve", cmd_serve },
	{ "map", cmd_map },
	{ "top", cmd_top },
	{ "metrics", cmd_metrics },
};

/* What a verb printed reached stdout, or one line and status 1: `info
 * --json >file` on a full disk said nothing and exited 0, so a script
 * took an empty or cut answer for the truth. */
static int stdout_done(const char *verb, int status)
{
	int err;

	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return status;
	err = errno ? errno : EIO;
	cli_error("%s: cannot write stdout: %s", verb, strerror(err));
	return status ? status : CLI_ESYS;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return stdout_done("--help", CLI_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			char who[32];

			/* Any verb that maps the labyrinth may see its file cut
			 * short under it by whoever may write it (a long view,
			 * or a check racing that writer): one line, status 5. */
			snprintf(who, sizeof(who), "labyrinth: %s", commands[i].name);
			if (argc > 2)
				lab_exit_on_shrink(who, argv[2], CLI_EREFUSED);
			return stdout_done(argv[1], commands[i].run(argc - 1, argv + 1));
		}
	return cli_usage("unknown command '%s'", argv[1]);
}
