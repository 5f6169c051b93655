// SPDX-License-Identifier: MIT
/*
 * see_guest.c - `see_guest NAME CORRIDOR CLAIM RELEASE REFUSE`: a guest of
 * known shape for the tests of map, top and metrics.  It takes a lease and
 * goes through the real dispatcher (so its lease's tally counts as a
 * monitor's would) over a transport that lends nothing: it claims CLAIM
 * rooms from CORRIDOR only, releases the first RELEASE of them, then makes
 * REFUSE claims its full window refuses.  It flushes its tally, prints
 * "ready GUEST PID" and "rooms R...", the rooms it holds, and waits until
 * its stdin closes (or SIGTERM, or 60 s: a broken test leaves nothing).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "lending.h"
#include "parse.h"

static uint32_t claim(struct lab_caller *c, struct lending *w, uint32_t corridor,
		      uint32_t want, uint64_t *held)
{
	uint32_t got = 0;

	while (got < want) {
		uint32_t n = want - got < LAB_HC_BATCH_MAX ? want - got
							   : LAB_HC_BATCH_MAX;
		int64_t rc = lending_call(c, LAB_HC_CLAIM, LAB_HC_THISCORRIDOR |
				  LAB_HC_CORRIDOR(corridor), n);

		if (rc <= 0)
			break;
		for (int64_t i = 0; i < rc; i++)
			held[got + i] = w->list[i];
		got += (uint32_t)rc;
	}
	return got;
}

static void release(struct lab_caller *c, struct lending *w,
		    const uint64_t *held, uint32_t n)
{
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < LAB_HC_BATCH_MAX ? n - done
							 : LAB_HC_BATCH_MAX;

		for (uint32_t i = 0; i < k; i++)
			w->list[i] = held[done + i];
		if (lending_call(c, LAB_HC_RELEASE, 0, k))
			exit(4);
		done += k;
	}
}

static void linger(void)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	char buf[64];

	for (int t = 0; t < 600; t++)
		if (poll(&p, 1, 100) > 0 && read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			return;
}

int main(int argc, char **argv)
{
	static struct lending w;
	uint64_t corridor, want, drop, refuse, *held;
	_Atomic uint64_t *bits;
	struct lab_guest g;
	struct lab_caller c;
	struct labyrinth *lab;
	uint32_t got;

	if (argc != 6 || parse_uint(argv[2], 0, LAB_MAX_CORRIDORS - 1, &corridor) ||
	    parse_uint(argv[3], 0, 1u << 20, &want) ||
	    parse_uint(argv[4], 0, want, &drop) ||
	    parse_uint(argv[5], 0, 1000, &refuse))
		return 2;
	if (lab_attach(argv[1], &lab))
		return 1;
	bits = calloc(lab_reach_words(lab), sizeof(*bits));
	held = calloc(want + 1, sizeof(*held));
	w.space = (uint32_t)want;
	lab_guest_init(&g, lab, &lending_nothing, &w, bits);
	lab_caller_init(&c, &g, 0);
	got = claim(&c, &w, (uint32_t)corridor, (uint32_t)want, held);
	if (got != want)
		return 3;
	release(&c, &w, held, (uint32_t)drop);
	w.space = 0;
	for (uint64_t i = 0; i < refuse; i++)
		lending_call(&c, LAB_HC_CLAIM, 0, 1);
	lab_caller_flush(&c);
	printf("ready %u %d\nrooms", lab_guest_id(lab), getpid());
	for (uint32_t i = (uint32_t)drop; i < got; i++)
		printf(" %llu", (unsigned long long)(held[i] / LAB_ROOM_SIZE));
	printf("\n");
	fflush(stdout);
	signal(SIGTERM, SIG_DFL);
	linger();
	lab_detach(lab);
	return 0;
}
