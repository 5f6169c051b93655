/*
 * test_clock.h - the tests' and benchmarks' one clock (dependency
 * `test_lib`): monotonic wall time and CPU time, in nanoseconds as a
 * double (exact to the nanosecond for 104 days of uptime, then to a few).
 * Benchmarks report a thread's CPU time beside its wall time: a thread
 * that lost its CPU for a while shows it there and nowhere else.
 */
#ifndef TEST_CLOCK_H
#define TEST_CLOCK_H

#include <time.h>

static inline double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Wall time, never set back. */
static inline double wall_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of the calling thread, and of the whole process. */
static inline double thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static inline double process_cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

#endif
