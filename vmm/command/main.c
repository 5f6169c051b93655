// SPDX-License-Identifier: MIT
/*
 * main.c - main() of the `labyrinth` command: --help, --version, and the
 * verb (verbs.c: the table; each verb in its own file).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "labyrinth_host.h"
#include "verbs.h"

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

/* `labyrinth VERB ... --help ...`: whatever else the line holds, the verb
 * explains itself instead of running (up to a "--", after which
 * everything is an argument). */
static bool asks_help(int argc, char **argv)
{
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static int verb_run(const struct verb *v, int argc, char **argv)
{
	char who[32];

	if (asks_help(argc, argv)) {
		help_print(v);
		return CLI_OK;
	}
	/* Any verb that maps the labyrinth may see its file cut short under
	 * it by whoever may write it (a long view, or a check racing that
	 * writer): one line, status 5. */
	snprintf(who, sizeof(who), "labyrinth: %s", v->name);
	if (argc > 2)
		lab_exit_on_shrink(who, argv[2], CLI_EREFUSED);
	return v->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2)
		return cli_usage("missing verb");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help_print(NULL);
		return stdout_done("--help", CLI_OK);
	}
	if (!strcmp(argv[1], "--version")) {
		version_print();
		return stdout_done("--version", CLI_OK);
	}
	v = verb_find(argv[1]);
	if (!v)
		return cli_usage("unknown verb '%s'", argv[1]);
	return stdout_done(argv[1], verb_run(v, argc, argv));
}
