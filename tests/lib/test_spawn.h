/*
 * test_spawn.h - the Criterion tests' runner (dependency `spawn`): a
 * program under test run to its end with a time limit, its output
 * captured; the paths meson test gives them.  Programs left running in
 * the background: test_proc.h.
 */
#ifndef TEST_SPAWN_H
#define TEST_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "test_proc.h"

struct run_result {
	int status;		/* exit status, or 128 + signal */
	bool timed_out;		/* killed after the limit */
	char out[16384];
	char err[16384];
};

/* argv[0] is a path. Returns 0 if the program ran (whatever its status). */
int run_cmd(char *const argv[], double limit_s, struct run_result *r);
/*
 * `/bin/sh -c CMD` (printf-style), killed after 20 s, with its stderr
 * merged into its stdout: what it printed into @out (cut to @len), its
 * exit status back (128 + signal; -1 if it could not be run).
 */
int sh_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Number of lines in s (a final line without '\n' counts). */
unsigned count_lines(const char *s);
/* The path in environment variable `name`, or a test failure. */
const char *env_path(const char *name);
/* $IMAGES/<name>. */
const char *image_path(const char *name);
/* qemu-system-x86_64, or NULL if it is not installed. */
const char *qemu_path(void);

#endif
