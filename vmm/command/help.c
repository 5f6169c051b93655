// SPDX-License-Identifier: MIT
/*
 * help.c - how the `labyrinth` command explains itself: `--help` (every
 * verb), `VERB --help` and `help VERB` (one), `--version` (the same line
 * as the monitor's, from the one project version).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verbs.h"
#include "version.h"

static const char common_statuses[] =
	"0 success, 1 system error, 2 usage error (unknown verb or option, bad\n"
	"number, bad sizes), 3 no labyrinth of that name,\n"
	"5 the file is not trusted or not a valid labyrinth";

static const char notes[] =
	"NAME: 1-64 of [A-Za-z0-9._-], not starting with '.'; the file is\n"
	"/dev/shm/labyrinth.NAME.  Numbers are decimal.\n"
	"Trust: a labyrinth file is used only if it is a regular file owned by\n"
	"you or root, not writable by others, and not writable by its group\n"
	"unless that group is LABYRINTH_GROUP (environment: a group name or\n"
	"number; serve --group sets it too).\n";

/* @text's lines, each after @indent spaces. */
static void lines_print(const char *text, int indent)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		printf("%*s%.*s\n", indent, "", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

/* "labyrinth VERB SYNOPSIS", its continuation lines aligned under the
 * synopsis' first word, after @lead (which the first line begins with). */
static void synopsis_print(const char *lead, const struct verb *v)
{
	size_t n = strcspn(v->synopsis, "\n");
	int column = (int)(strlen(lead) + strlen("labyrinth ") + strlen(v->name) + 1);

	printf("%slabyrinth %s %.*s\n", lead, v->name, (int)n, v->synopsis);
	if (v->synopsis[n])
		lines_print(v->synopsis + n + 1, column);
}

static void verb_help(const struct verb *v)
{
	synopsis_print("usage: ", v);
	lines_print(v->about, 2);
	printf("exit status:\n");
	lines_print(common_statuses, 2);
	if (v->statuses)
		lines_print(v->statuses, 2);
	fputs(notes, stdout);
}

static void command_help(void)
{
	printf("usage: labyrinth VERB [ARGS]; labyrinth help VERB (or VERB --help)\n"
	       "says more of one; labyrinth --version\n");
	for (size_t i = 0; i < verbs_count; i++) {
		putchar('\n');
		synopsis_print("", &verbs[i]);
		lines_print(verbs[i].about, 4);
	}
	printf("\nexit status, every verb:\n");
	lines_print(common_statuses, 2);
	for (size_t i = 0; i < verbs_count; i++)
		if (verbs[i].statuses) {
			printf("%s:\n", verbs[i].name);
			lines_print(verbs[i].statuses, 2);
		}
	fputs(notes, stdout);
}

void help_print(const struct verb *v)
{
	if (v)
		verb_help(v);
	else
		command_help();
}

void version_print(void)
{
	printf("labyrinth (labyrinth) %s\n", LABYRINTH_VERSION);
}

int cmd_help(int argc, char **argv)
{
	const struct verb *v = NULL;

	if (argc > 2)
		return cli_usage("help: unexpected '%s'", argv[2]);
	if (argc == 2 && !(v = verb_find(argv[1])))
		return cli_usage("help: no verb '%s'", argv[1]);
	help_print(v);
	return CLI_OK;
}
