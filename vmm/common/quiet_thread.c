// SPDX-License-Identifier: MIT
/*
 * quiet_thread.c - the host programs' helper threads (the scrubber, the
 * pressure watch) are born with every signal blocked: SIGINT, SIGTERM
 * and SIGHUP are the process's own threads' to take (the monitor's
 * signal thread, a command's handler), never a default death in a
 * helper.  All but SIGBUS: a labyrinth file cut short faults in whichever
 * thread touches it first, and a blocked fault is a silent death, never
 * lab_exit_on_shrink()'s line.
 */
#include <signal.h>

#include "quiet_thread.h"

int quiet_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
