// SPDX-License-Identifier: MIT
/*
 * stop.c - how a long-running verb (top, metrics --listen, serve) learns
 * it must stop: SIGINT, SIGTERM and SIGHUP are blocked and read from a
 * signalfd that its loop polls beside everything else.  A handler that
 * raised a flag left a window between the loop's look at the flag and its
 * wait, and under ThreadSanitizer (which runs handlers late) a Ctrl-C to
 * `top` was lost for good in about one run in three.
 */
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"

int cli_stop_fd(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);	/* a reader gone is an error, not a death */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cli_stop_signal(int fd)
{
	struct signalfd_siginfo si;

	return read(fd, &si, sizeof(si)) == sizeof(si) ? (int)si.ssi_signo : 0;
}
