/* test_wait.c - see test_wait.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "test_clock.h"
#include "test_wait.h"

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct wait_deadline wait_deadline(int timeout_ms)
{
	return (struct wait_deadline){ wall_ns() + timeout_ms * 1e6 };
}

bool wait_step(const struct wait_deadline *d)
{
	if (wall_ns() >= d->end_ns)
		return false;
	sleep_ms(WAIT_STEP_MS);
	return true;
}

bool wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
	return WAIT_UNTIL(cond(arg), timeout_ms);
}

bool unix_listening(const char *path)
{
	/* Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 is
	 * __SO_ACCEPTCON, a listening socket. */
	char line[512], where[256];
	unsigned long flags;
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %255s", &flags, where) == 2 &&
			(flags & 0x10000) && !strcmp(where, path);
	if (f)
		fclose(f);
	return found;
}
