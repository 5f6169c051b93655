/*
 * test_proc.h - programs under test started in the background and reaped
 * (dependency `test_lib`).  The child only execs: whatever it needs (a
 * path from the environment, an open file) is made before the fork.
 */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* argv[0] (a path) with its stdout on @out_fd and its stderr on @err_fd,
 * each left as ours where -1: the pid, or -1 if there is no child. */
pid_t spawn_to(char *const argv[], int out_fd, int err_fd);
/* The same with its stdout on a pipe, whose reading end is *out_fd. */
pid_t spawn_piped(char *const argv[], int *out_fd);
/* One line from @fd within @ms (each byte's wait), without its newline;
 * false if none came whole. */
bool read_line_within(int fd, char *buf, size_t len, int ms);

/*
 * Reaps child @pid within @timeout_ms; if it has not ended by then it is
 * killed (SIGKILL) and reaped.  *wstatus gets waitpid()'s status either
 * way; returns whether the child ended by itself.
 */
bool reap_within(pid_t pid, int timeout_ms, int *wstatus);
/* The same, its exit status back (128 + signal), or -1 if it was killed
 * for not ending in time. */
int reap_status(pid_t pid, int timeout_ms);
/* A child's exit status, or 128 + the signal that ended it. */
int exit_status(int wstatus);

#endif
