// SPDX-License-Identifier: MIT
/*
 * cli.c - what every verb of the `labyrinth` command shares: getopt_long
 * over its arguments, the one number parser (vmm/common/parse.c), and one
 * line plus a documented status for every error.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "labyrinth_host.h"
#include "parse.h"
#include "shown.h"

static int fail_status(int err)
{
	switch (err) {
	case LAB_ENOENT:
		return CLI_ENONAME;
	case LAB_EEXIST:
		return CLI_EEXISTS;
	case LAB_EINVAL:
		return CLI_EUSAGE;
	case LAB_EACCES:
	case LAB_EPROTO:
	case LAB_ETAKEN:
		return CLI_EREFUSED;
	case LAB_ENOSPC:
		return CLI_ENOSPACE;
	default:
		return CLI_ESYS;
	}
}

/* "labyrinth: " MESSAGE SUFFIX on one line.  The message quotes what was
 * typed (a name, an option, a number, a path), so it is printed through
 * shown_print(), as a name is: `labyrinth info NAME $'x\ny'` or an option
 * holding a terminal escape once made two lines, or recoloured the
 * terminal. */
static void line_print(const char *suffix, const char *fmt, va_list ap)
{
	char *text = NULL;

	fputs("labyrinth: ", stderr);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	shown_print(stderr, text ? text : fmt);
	free(text);
	fprintf(stderr, "%s\n", suffix);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_print(" (try --help)", fmt, ap);
	va_end(ap);
	return CLI_EUSAGE;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_print("", fmt, ap);
	va_end(ap);
}

/* Which file, and whose: the one line must tell whom to ask. */
static void taken_print(const char *name)
{
	char path[256];
	uint32_t uid;

	if (lab_extent_squatter(name, path, sizeof(path), &uid)) {
		fprintf(stderr, "%s", lab_strerror(LAB_ETAKEN));
		return;
	}
	fputc('\'', stderr);
	shown_print(stderr, path);
	fprintf(stderr, "' (uid %u) is in the way of its extents, no labyrinth's file; "
		"`labyrinth destroy` removes it if you may (its owner or root)", uid);
}

int cli_fail(const char *verb, const char *name, int err)
{
	fprintf(stderr, "labyrinth: %s: '", verb);
	shown_print(stderr, name);
	fputs("': ", stderr);
	if (err == LAB_ETAKEN)
		taken_print(name);
	else
		fputs(lab_strerror(err), stderr);
	fputc('\n', stderr);
	return fail_status(err);
}

int cli_option(int argc, char **argv, const struct option *opts)
{
	int c;

	opterr = 0;
	optopt = 0;
	c = getopt_long(argc, argv, ":", opts, NULL);
	/* A bad letter inside "-xy" leaves optind on "-xy" (or, once the
	 * arguments were permuted, anywhere): argv[optind - 1] would name
	 * another argument, the NAME or the verb itself.  getopt says the
	 * letter; the long options' values are all 256 and up. */
	if (c == '?' && optopt > 0 && optopt < 256) {
		cli_usage("%s: unknown option '-%c'", argv[0], optopt);
		return CLI_BAD_OPTION;
	}
	if (c == '?') {
		cli_usage("%s: unknown option '%s'", argv[0], argv[optind - 1]);
		return CLI_BAD_OPTION;
	}
	if (c == ':') {
		cli_usage("%s: %s needs a value", argv[0], argv[optind - 1]);
		return CLI_BAD_OPTION;
	}
	return c;
}

const char *cli_name(int argc, char **argv)
{
	if (optind >= argc) {
		cli_usage("%s: missing NAME", argv[0]);
		return NULL;
	}
	if (optind + 1 < argc) {
		cli_usage("%s: unexpected '%s'", argv[0], argv[optind + 1]);
		return NULL;
	}
	return argv[optind];
}

const char *cli_name_only(int argc, char **argv)
{
	static const struct option none[] = { { 0 } };

	if (cli_option(argc, argv, none) != -1)
		return NULL;
	return cli_name(argc, argv);
}

int cli_number(const char *opt, const char *s, uint32_t min, uint32_t max,
	       uint32_t *out)
{
	uint64_t v;

	if (parse_uint(s, min, max, &v))
		return cli_usage("%s wants a decimal number from %u to %u, "
				 "not '%s'", opt, min, max, s);
	*out = (uint32_t)v;
	return 0;
}

int cli_group(const char *opt, const char *s, uint32_t *gid)
{
	if (parse_group(s, gid))
		return cli_usage("%s: no group '%s'", opt, s);
	return 0;
}
