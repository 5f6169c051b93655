/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the `labyrinth` command: main.c dispatches, one file per verb,
 * cli.c the helpers every verb shares (options, numbers, errors).
 *
 * Exit statuses (also in --help):
 *   0 success, 1 system error, 2 usage error (unknown verb or option,
 *   bad number, bad sizes), 3 no labyrinth of that name, 4 a labyrinth of
 *   that name exists already, 5 the file is not trusted or not a valid
 *   labyrinth, 6 not enough memory to back the labyrinth.
 */
#ifndef VMM_COMMAND_CLI_H
#define VMM_COMMAND_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CLI_OK = 0,
	CLI_ESYS = 1,
	CLI_EUSAGE = 2,
	CLI_ENONAME = 3,
	CLI_EEXISTS = 4,
	CLI_EREFUSED = 5,
	CLI_ENOSPACE = 6,
};

/* getopt_long's result for a bad option, after its one line on stderr. */
#define CLI_BAD_OPTION	(-2)

/* output.c: all of @len bytes to @fd, 0 or -errno.  cli_output(): the
 * text to @path as the verb's output (`-` stdout; a regular file replaced
 * whole, a fifo or character device written to, anything else refused);
 * CLI_OK, or CLI_ESYS after one line naming @verb. */
int cli_write_all(int fd, const char *p, size_t len);
int cli_output(const char *verb, const char *path, const char *text, size_t len);

/* stop.c: SIGINT, SIGTERM and SIGHUP (blocked) as a readable fd for a
 * verb's poll loop, SIGPIPE ignored; -1 on error.  cli_stop_signal():
 * the signal read from it, 0 if none. */
int cli_stop_fd(void);
int cli_stop_signal(int fd);

/* One line on stderr, and the exit status for @err. */
int cli_fail(const char *verb, const char *name, int err);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line on stderr, "labyrinth: " and the message, with whatever it
 * quotes shown printable (as cli_fail shows a name). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The next option of a verb's arguments (argv[0] is the verb): its val,
 * -1 at the end, or CLI_BAD_OPTION (unknown, or its value missing). */
int cli_option(int argc, char **argv, const struct option *opts);
/* The one NAME left after the options, or NULL after a usage line. */
const char *cli_name(int argc, char **argv);
/* For a verb that takes no option: its NAME, or NULL after a usage line. */
const char *cli_name_only(int argc, char **argv);
/* A decimal number in [min, max] for option @opt; 0 or CLI_EUSAGE. */
int cli_number(const char *opt, const char *s, uint32_t min, uint32_t max,
	       uint32_t *out);
/* A group name or number for option @opt; 0 or CLI_EUSAGE. */
int cli_group(const char *opt, const char *s, uint32_t *gid);

int cmd_create(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_reap(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_limit(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_help(int argc, char **argv);

#endif /* VMM_COMMAND_CLI_H */
