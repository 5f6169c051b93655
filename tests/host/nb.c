// SPDX-License-Identifier: MIT
/*
 * nb.c - helpers of the hostile-neighbours tests.  Every wait is bounded:
 * a test that goes wrong fails, it does not hang.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nb.h"

void nb_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "nb-%s-%d", what, getpid());
}

void nb_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int nb_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int nb_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : -1;
}

int nb_sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024], wrapped[1200];
	va_list ap;
	size_t n;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(wrapped, sizeof(wrapped), "timeout -s KILL 20 sh -c '%s' 2>&1", cmd);
	p = popen(wrapped, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return nb_status(pclose(p));
}

pid_t nb_spawn(char *const argv[], int *out_fd)
{
	int fds[2];
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

bool nb_line(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n + 1 < len) {
		if (poll(&p, 1, ms) != 1 || read(fd, buf + n, 1) != 1)
			break;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return true;
		}
		n++;
	}
	buf[n] = '\0';
	return false;
}

int nb_reap_child(pid_t pid, int ms)
{
	int status;

	for (int t = 0; t < ms; t += 5) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		nb_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

const char *nb_bin(const char *env)
{
	const char *bin = getenv(env);

	cr_assert_not_null(bin, "%s is not set", env);
	return bin;
}
