// SPDX-License-Identifier: MIT
/*
 * log.c - the server's log: one line on stderr per event.  An operator
 * reading a log file must know when each thing happened, so a line
 * begins with the time (UTC, RFC 3339, milliseconds).  Under systemd,
 * when stderr is the journal (JOURNAL_STREAM names it: its device and
 * inode), the journal stamps every line itself and a time of our own
 * would only be said twice.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "server.h"

static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!stream || sscanf(stream, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

static void time_print(void)
{
	struct timespec now;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ ", when, now.tv_nsec / 1000000);
}

void serve_log(const char *fmt, ...)
{
	static int journal = -1;
	va_list ap;

	if (journal < 0)
		journal = stderr_is_journal();
	if (!journal)
		time_print();
	fputs("labyrinth serve: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
