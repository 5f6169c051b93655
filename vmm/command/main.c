// SPDX-License-Identifier: MIT
/*
 * cli.c - main() of the `labyrinth` command: dispatch and shared helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "labyrinth.h"


static const char usage_text[] =
"usage: labyrinth COMMAND NAME [OPTIONS]\n"
"  create NAME --rooms N [--corridors K] [--reserve R]\n"
"                       make a labyrinth of N 4 KiB rooms in K corridors\n"
"                       (default 1), R rooms kept for GFP_ATOMIC (default 0)\n"
"  info NAME [--json]   rooms, free, reserved, fill per corridor, owners\n"
"  reap NAME            free the rooms of dead owners (scrubbed)\n"
"  destroy NAME         remove the labyrinth\n"
"  serve NAME --socket PATH [--vectors N] [--stats]\n"
"                       ivshmem server lending rooms to QEMU guests\n"
"                       (libvirt <shmem> ivshmem-doorbell) until SIGTERM\n"
"  --help               this text\n"
"NAME: 1-64 of [A-Za-z0-9._-], not starting with '.'; the file is\n"
"/dev/shm/labyrinth.NAME.\n"
"exit status: 0 success, 1 system error, 2 usage error (unknown command\n"
"or option, bad number, bad sizes), 3 no labyrinth of that name,\n"
"4 a labyrinth of that name exists already\n";

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("labyrinth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return CLI_EUSAGE;
}

int cli_fail(const char *verb, const char *name, int err)
{
	switch (err) {
	case LAB_ENOENT:
		fprintf(stderr, "labyrinth: %s: no labyrinth named '%s'\n",
			verb, name);
		return CLI_ENONAME;
	case LAB_EEXIST:
		fprintf(stderr, "labyrinth: %s: '%s' exists already\n", verb,
			name);
		return CLI_EEXISTS;
	case LAB_EINVAL:
		fprintf(stderr, "labyrinth: %s: bad name or sizes for '%s'\n",
			verb, name);
		return CLI_EUSAGE;
	default:
		fprintf(stderr, "labyrinth: %s: '%s': %s\n", verb, name,
			strerror(-err));
		return CLI_ESYS;
	}
}

int cli_number(const char *opt, const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return cli_usage("%s needs a number", opt);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return cli_usage("%s: bad number '%s'", opt, s);
	*out = (uint32_t)v;
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create },
	{ "info", cmd_info },
	{ "reap", cmd_reap },
	{ "destroy", cmd_destroy },
	{ "serve", cmd_serve },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (argc < 3 || argv[2][0] == '-')
			return cli_usage("%s: missing NAME", argv[1]);
		return commands[i].run(argc - 1, argv + 1);
	}
	return cli_usage("unknown command '%s'", argv[1]);
}
