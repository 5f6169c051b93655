/* test_proc.c - see test_proc.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_proc.h"
#include "test_wait.h"

pid_t spawn_to(char *const argv[], int out_fd, int err_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, 1);
		if (err_fd >= 0)
			dup2(err_fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

pid_t spawn_piped(char *const argv[], int *out_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = spawn_to(argv, fds[1], -1);
	close(fds[1]);
	if (pid < 0)
		close(fds[0]);
	else
		*out_fd = fds[0];
	return pid;
}

bool read_line_within(int fd, char *buf, size_t len, int ms)
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

static bool reaped(pid_t pid, int *wstatus)
{
	pid_t r;

	while ((r = waitpid(pid, wstatus, WNOHANG)) < 0 && errno == EINTR)
		;
	return r == pid;
}

bool reap_within(pid_t pid, int timeout_ms, int *wstatus)
{
	if (WAIT_UNTIL(reaped(pid, wstatus), timeout_ms))
		return true;
	kill(pid, SIGKILL);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	return false;
}

int reap_status(pid_t pid, int timeout_ms)
{
	int wstatus;

	return reap_within(pid, timeout_ms, &wstatus) ? exit_status(wstatus) : -1;
}

int exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : -1;
}
