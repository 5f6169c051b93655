// SPDX-License-Identifier: MIT
/*
 * shrink.c - a labyrinth's file shrinking under a process that maps it.
 * Only its owner (or its group, with --group) can truncate the file, and
 * everything is checked against the size when it is mapped; but a file
 * cut short afterwards makes every later touch of the lost pages a SIGBUS
 * (BUS_ADRERR): the CLI's verbs (`top`, `metrics --listen`, `serve`
 * above all) and the monitor (a host-side touch of the hall, or of a
 * room it scrubs) died of it with no word.  Now they say so on one line
 * and exit with the status their caller documents for a labyrinth it
 * cannot use (the CLI's 5, the monitor's 76).  A SIGBUS of any other kind
 * is left to kill the process as it would have.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "labyrinth_host.h"

static char line[256];
static size_t line_len;
static int shrink_status;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code == BUS_ADRERR) {
		/* write(2) and _exit(2) only: async-signal-safe */
		if (write(STDERR_FILENO, line, line_len) < 0)
			_exit(shrink_status);
		_exit(shrink_status);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void lab_exit_on_shrink(const char *who, const char *name, int status)
{
	struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO };
	snprintf(line, sizeof(line), "%s: '%s': its file shrank under us "
		 "(cut short by someone who may write it)\n", who, name);
	shrink_status = status;
	line_len = strlen(line);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}
