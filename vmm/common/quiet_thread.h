/* SPDX-License-Identifier: MIT */
/* quiet_thread.c: a helper thread that takes no signal but SIGBUS. */
#ifndef VMM_COMMON_QUIET_THREAD_H
#define VMM_COMMON_QUIET_THREAD_H

#include <pthread.h>

/* 0, or pthread_create()'s error; the caller's mask is as it was. */
int quiet_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
