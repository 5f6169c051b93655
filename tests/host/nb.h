/* SPDX-License-Identifier: MIT */
/*
 * nb.h - helpers of the hostile-neighbours tests: names (nb-*), bounded
 * waits, programs run with their output captured, root-only skips.
 */
#ifndef NB_H
#define NB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "nb-WHAT-PID": ours alone among tests running at the same time. */
void nb_name(char *buf, size_t len, const char *what);
void nb_sleep_ms(int ms);

/* `sh -c CMD` killed after 20 s; stdout and stderr into @out.  The exit
 * status, or 128 + signal. */
int nb_sh(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* fork + execv with stdout on a pipe (*out_fd); stderr kept. */
pid_t nb_spawn(char *const argv[], int *out_fd);
/* One line from @fd within @ms, without its newline; false if none. */
bool nb_line(int fd, char *buf, size_t len, int ms);
/* waitpid() for at most @ms, then SIGKILL: the status, -1 if it hung. */
int nb_reap_child(pid_t pid, int ms);
/* The child's exit status, or 128 + signal. */
int nb_status(int wstatus);

const char *nb_bin(const char *env);	/* a program the build points at */
int nb_lines(const char *s);		/* newlines in @s */

#endif
