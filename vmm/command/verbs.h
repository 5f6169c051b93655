/* SPDX-License-Identifier: MIT */
/*
 * verbs.h - the verbs of the `labyrinth` command, each with the words it
 * explains itself in: `labyrinth VERB --help`, `labyrinth help VERB` and
 * the whole `--help` all print from this one table (verbs.c), so the
 * three cannot say different things.
 */
#ifndef VMM_COMMAND_VERBS_H
#define VMM_COMMAND_VERBS_H

#include <stddef.h>

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	/* What follows the verb on its command line; a '\n' starts a
	 * continuation line, which the printer aligns under the first. */
	const char *synopsis;
	/* What it does, lines of at most 74 characters. */
	const char *about;
	/* Exit statuses of its own, beyond those every verb shares; or NULL. */
	const char *statuses;
};

extern const struct verb verbs[];
extern const size_t verbs_count;

/* The verb called @name, or NULL. */
const struct verb *verb_find(const char *name);

/* help.c: `--help` of one verb (@v) or of the whole command (NULL) on
 * stdout; the version line. */
void help_print(const struct verb *v);
void version_print(void);

#endif /* VMM_COMMAND_VERBS_H */
