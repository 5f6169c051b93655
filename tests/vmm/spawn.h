/* Running a program under test with a time limit and capturing its output. */
#ifndef TESTS_SPAWN_H
#define TESTS_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct run_result {
	int status;		/* exit status, or 128 + signal */
	bool timed_out;		/* killed after the limit */
	char out[16384];
	char err[16384];
};

/* argv[0] is a path. Returns 0 if the program ran (whatever its status). */
int run_cmd(char *const argv[], double limit_s, struct run_result *r);
/* Number of lines in s (a final line without '\n' counts). */
unsigned count_lines(const char *s);
/* The path in environment variable `name`, or a test failure. */
const char *env_path(const char *name);
/* $IMAGES/<name>. */
const char *image_path(const char *name);
/* qemu-system-x86_64, or NULL if it is not installed. */
const char *qemu_path(void);

#endif
