/* The one clock of the host programs: monotonic nanoseconds (vDSO, so not
 * a syscall: cheap enough for the vCPU loop and the server's statistics). */
#ifndef VMM_COMMON_CLOCK_H
#define VMM_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
