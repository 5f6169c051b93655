// SPDX-License-Identifier: MIT
/*
 * verbs.c - the table of the `labyrinth` command's verbs (each runs from
 * its own file) and their help.  README.md gives the same synopses;
 * tests/command/test_help.py holds the two to each other.
 */
#include <string.h>

#include "cli.h"
#include "verbs.h"

const struct verb verbs[] = {
	{ "create", cmd_create,
	  "NAME --rooms N [--corridors K] [--reserve R]\n"
	  "[--extent SIZE] [--group GROUP]",
	  "Make a labyrinth of N 4 KiB rooms in K corridors (default 1), R rooms\n"
	  "kept for GFP_ATOMIC claims (default 0), in extent files of SIZE (2M,\n"
	  "4M, ...: a power of two of 2 MiB districts; default a quarter of the\n"
	  "pool, at most 256M).  Its memory is allocated now, all of it.  The\n"
	  "files are 0600, or 0660 and of GROUP with --group.",
	  "4 a labyrinth of that name exists already, 5 also when a file that is\n"
	  "no labyrinth's is in the way of its extents (the line names it and\n"
	  "its owner), 6 not enough memory to back it (the tmpfs of /dev/shm is\n"
	  "too small)" },
	{ "info", cmd_info,
	  "NAME [--json]",
	  "Rooms, free (and how many of them dirty), reserved, fill per\n"
	  "corridor, leases with their pids (a QEMU guest's QEMU pid and\n"
	  "domain), limits and tallies, extents and QEMU peers.  --json: one\n"
	  "line, one object (its fields: README.md).",
	  NULL },
	{ "list", cmd_list,
	  "[--json]",
	  "The labyrinths under /dev/shm, one line each: name, rooms, free,\n"
	  "claimed, leases; one this user may not use (or not valid) says why.\n"
	  "--json: one line, one object.",
	  NULL },
	{ "map", cmd_map,
	  "NAME [--svg FILE]",
	  "Who holds which district: a row per corridor, a cell per district\n"
	  "(or group, to fit COLUMNS), owner glyph and fill; colour on a\n"
	  "terminal unless NO_COLOR is set.  --svg FILE ('-': stdout) writes an\n"
	  "SVG, one square per room up to 16384 rooms, else per district.",
	  "1 when the --svg file cannot be written" },
	{ "top", cmd_top,
	  "NAME [--once] [--interval SECS]",
	  "Live view every SECS (default 1): rooms, claims, releases and\n"
	  "refusals per second per guest, fill per corridor; q or Ctrl-C leaves.\n"
	  "--once prints one frame (rates over one interval).",
	  "3 also when the labyrinth is destroyed meanwhile" },
	{ "metrics", cmd_metrics,
	  "NAME [--textfile PATH | --listen [ADDR:]PORT]",
	  "Prometheus text format: to stdout, to PATH for node_exporter's\n"
	  "textfile collector (replaced whole), or over HTTP at /metrics until\n"
	  "SIGTERM, on 127.0.0.1 unless ADDR (numeric) is given; PORT 0 picks a\n"
	  "free one (said on stderr).  destroy removes the textfiles written.",
	  "1 when the --textfile cannot be written, or the --listen address is\n"
	  "in use or cannot be bound; 2 when PATH holds a newline; 3 also once\n"
	  "the labyrinth is destroyed or made again; 5 when the record of its\n"
	  "textfiles (which destroy removes) is not trusted" },
	{ "reap", cmd_reap,
	  "NAME",
	  "Free the rooms of dead leases (scrubbed first).",
	  NULL },
	{ "limit", cmd_limit,
	  "NAME GUEST [--max N|none] [--min M] [--ask N|none]",
	  "Change a running guest's limits (the next claim sees them): at most N\n"
	  "rooms, M kept claimable for it.  A max below what it holds takes no\n"
	  "room away: it says so in one line, and the guest claims nothing more\n"
	  "until its own releases bring it under.  --ask N asks a QEMU guest to\n"
	  "hold N rooms, its mailbox aside: its server passes the ask on, and the\n"
	  "guest's elastic RAM grows or shrinks toward it (whole memory blocks);\n"
	  "what it cannot give back it says in the server's log.  --ask none\n"
	  "withdraws it.  Without options: show them.",
	  "1 when no guest holds that lease, 2 when --min is above --max, 6 when\n"
	  "the mins together would pass the rooms less the reserve" },
	{ "check", cmd_check,
	  "NAME [--json]",
	  "Audit the promises while guests run: every free room zero, every room\n"
	  "a monitor's window reaches owned by its guest, nothing leaked.",
	  "1 with one line per violation" },
	{ "destroy", cmd_destroy,
	  "NAME",
	  "Remove the labyrinth, and every file left in the way of its extents\n"
	  "(a killed creator's, or another user's) that you may remove.",
	  "5 also when such a file stays (the line names it and its owner)" },
	{ "serve", cmd_serve,
	  "NAME --socket PATH [--vectors N] [--max-peers P]\n"
	  "[--group GROUP] [--max-rooms N] [--min-rooms M] [--stats]",
	  "ivshmem-doorbell server lending extents to QEMU guests (libvirt\n"
	  "<shmem> ivshmem-doorbell) until SIGTERM: at most P peers (default 16),\n"
	  "each holding a lease; the socket is 0600, or 0660 and of GROUP with\n"
	  "--group; every peer gets --max-rooms/--min-rooms as its limits.  Its\n"
	  "log lines on stderr begin with the time (UTC).",
	  "3 also once the labyrinth is destroyed or made again" },
	{ "help", cmd_help,
	  "[VERB]",
	  "This text, or what VERB --help says.",
	  NULL },
};

const size_t verbs_count = sizeof(verbs) / sizeof(verbs[0]);

const struct verb *verb_find(const char *name)
{
	for (size_t i = 0; i < verbs_count; i++)
		if (!strcmp(name, verbs[i].name))
			return &verbs[i];
	return NULL;
}
