/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the `labyrinth` command: one file per verb.
 *
 * Exit statuses (also in --help):
 *   0 success, 1 system error, 2 usage error (unknown command or option,
 *   bad number, bad sizes), 3 no labyrinth of that name, 4 a labyrinth of
 *   that name exists already.
 */
#ifndef VMM_COMMAND_CLI_H
#define VMM_COMMAND_CLI_H

#include <stdint.h>

enum {
	CLI_OK = 0,
	CLI_ESYS = 1,
	CLI_EUSAGE = 2,
	CLI_ENONAME = 3,
	CLI_EEXISTS = 4,
};

/* One line on stderr, and the exit status for @err. */
int cli_fail(const char *verb, const char *name, int err);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_number(const char *opt, const char *s, uint32_t *out);

int cmd_create(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_reap(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif /* VMM_COMMAND_CLI_H */
