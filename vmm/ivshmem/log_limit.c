// SPDX-License-Identifier: MIT
/*
 * log_limit.c - the one rate limit on lines a peer or a connection can
 * make `serve` log: joins, refusals, handshake failures, leaves, garbage
 * on the socket, guest panics, pressure episodes.  Whoever connects
 * decides how often these happen (a client looping connect/close made
 * three lines a connection, megabytes in seconds; a guest swinging its
 * extent between empty and full, eighty "runs low" lines a second); it
 * must not decide how much the operator's disk takes.
 *
 * Keyed by the pid the kernel gives for the socket (SO_PEERCRED), not by
 * peer: a peer lives for one connection, so a limit per peer would not
 * see connection churn at all.  LOG_LINES a second for each of VOICES
 * pids at a time, one more shared by every pid beyond them (a client
 * that forks for new pids gets no more than that); what is held back is
 * said once its second is over, as one "N left out" line.
 */
#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "server.h"

#define LOG_LINES	10u
#define VOICES		16u
#define OTHERS		VOICES		/* the shared one */

struct voice {
	int32_t pid;
	bool used;
	uint64_t second;
	uint32_t lines;
};

/* One server per process: its peers share these. */
static struct voice voices[VOICES + 1];

static uint64_t now_second(void)
{
	return clock_ns() / 1000000000u;
}

static void voice_flush(struct voice *v, uint32_t index)
{
	if (v->lines > LOG_LINES) {
		if (index == OTHERS)
			serve_log("other peers: %u more lines left out (at most %u a second)",
				  v->lines - LOG_LINES, LOG_LINES);
		else
			serve_log("QEMU pid %d: %u more lines left out (at most %u a second)",
				  (int)v->pid, v->lines - LOG_LINES, LOG_LINES);
	}
	v->lines = 0;
}

/* @pid's voice: its own, a free one, one whose second is over, or the
 * shared one. */
static struct voice *voice_of(int32_t pid, uint64_t second)
{
	struct voice *spare = NULL;

	for (uint32_t i = 0; i < VOICES; i++) {
		if (voices[i].used && voices[i].pid == pid)
			return &voices[i];
		if (!spare && (!voices[i].used || voices[i].second != second))
			spare = &voices[i];
	}
	if (!spare)
		return &voices[OTHERS];
	if (spare->used)
		voice_flush(spare, (uint32_t)(spare - voices));
	*spare = (struct voice){ .pid = pid, .used = true, .second = second };
	return spare;
}

static bool may_log(int32_t pid)
{
	uint64_t second = now_second();
	struct voice *v = voice_of(pid, second);

	if (v->second != second) {
		voice_flush(v, (uint32_t)(v - voices));
		v->second = second;
	}
	return ++v->lines <= LOG_LINES;
}

static void vlog_limited(int32_t pid, const char *fmt, va_list ap)
{
	char line[1024];

	if (!may_log(pid))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	serve_log("%s", line);
}

void conn_log(int32_t pid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_limited(pid, fmt, ap);
	va_end(ap);
}

void peer_log(const struct serve_peer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_limited(p->pid, fmt, ap);
	va_end(ap);
}

void log_limit_flush(bool ending)
{
	uint64_t second = now_second();

	for (uint32_t i = 0; i <= VOICES; i++)
		if (ending || voices[i].second != second)
			voice_flush(&voices[i], i);
}
