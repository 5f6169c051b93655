// SPDX-License-Identifier: MIT
/*
 * holder.c - `nb_holder NAME ROOMS`: a stand-in for a monitor, small enough
 * to run anywhere (a PID namespace, another mount namespace): attach, claim
 * ROOMS rooms and stamp them, say "ready GUEST PID", then keep checking
 * every 50 ms that each room is still ours with our stamp ("LOST" and
 * status 3 if not).  SIGTERM detaches cleanly (status 0); it gives up by
 * itself after 60 s so a broken test cannot leave it behind.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "parse.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t *stamp(struct labyrinth *lab, uint32_t room)
{
	return (uint64_t *)((char *)lab_pool(lab) + (size_t)room * LAB_ROOM_SIZE);
}

static bool intact(struct labyrinth *lab, struct lab_cursor *cur,
		   const uint32_t *rooms, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (*stamp(lab, rooms[i]) != lab_cursor_owner(cur) ||
		    lab_room_owner(lab, rooms[i]) != lab_cursor_owner(cur))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	static uint32_t rooms[LAB_MAX_ROOMS / 64];
	struct timespec tick = { 0, 50000000 };
	struct lab_cursor cur;
	struct labyrinth *lab;
	uint64_t want;
	uint32_t n = 0;
	int err;

	if (argc != 3 || parse_uint(argv[2], 0, LAB_MAX_ROOMS / 64, &want))
		return 2;
	err = lab_attach(argv[1], &lab);
	if (err) {
		printf("attach %s\n", lab_strerror(err));
		return 1;
	}
	signal(SIGTERM, on_term);
	lab_cursor_init(&cur, lab, 1);
	while (n < want) {
		uint32_t k = want - n > LAB_HC_BATCH_MAX ? LAB_HC_BATCH_MAX : (uint32_t)(want - n);

		k = lab_claim(&cur, LAB_GFP_ATOMIC, 0, k, rooms + n);
		if (!k)
			return 1;
		n += k;
	}
	for (uint32_t i = 0; i < n; i++)
		*stamp(lab, rooms[i]) = lab_cursor_owner(&cur);
	printf("ready %u %d\n", lab_guest_id(lab), getpid());
	fflush(stdout);
	for (int t = 0; t < 1200 && !stop; t++) {
		if (!intact(lab, &cur, rooms, n)) {
			printf("LOST\n");
			fflush(stdout);
			return 3;
		}
		nanosleep(&tick, NULL);
	}
	lab_cursor_park(&cur);
	lab_detach(lab);
	return 0;
}
