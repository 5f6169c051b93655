// SPDX-License-Identifier: MIT
/*
 * scrubber.c - the background worker that zeroes dirty rooms: those the
 * vCPUs released and did not take back (each vCPU's next claims zero the
 * last 64 rooms it released, and the dirty rooms of the district it
 * holds: shared/reuse.c, scrub.c), so that they are clean when another
 * claims them.  A release costs the guest one store per room either way.
 *
 * It runs lab_scrub() in a thread of its own at a lower priority (nice
 * +10: vCPU threads come first, as Xen scrubs from its idle loop), and
 * sleeps a millisecond whenever nothing is dirty.  It is only a speed-up:
 * a claimer that finds no clean room zeroes dirty ones itself, so a
 * stopped, starved or killed worker never makes a claim fail.
 *
 * LABYRINTH_SCRUB in the environment chooses: unset or "worker" (this),
 * "release" (zero inside the release, the old way: no thread), "off" (no
 * thread; claimers zero when they must).  One worker per process: the
 * VMM attaches one labyrinth.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "handle.h"
#include "labyrinth_host.h"
#include "quiet_thread.h"

#define SCRUB_BATCH	64
#define IDLE_NS		1000000l
#define SCRUB_VCPU	(LAB_MAX_VCPUS - 1)	/* its code is flagged anyway */
#define SCRUB_NICE	10

static struct {
	struct labyrinth *lab;
	pthread_t thread;
	atomic_bool stop;
} worker;

/* Asked to stop (its monitor ends), the worker first zeroes what is dirty
 * now, so that a guest's last releases are not left for the next claimer
 * to pay: one pass's worth of rooms at most, since other monitors may go
 * on releasing. */
static void drain(struct lab_cursor *cur)
{
	uint32_t left = lab_rooms(worker.lab);
	unsigned int n;

	while (left && (n = lab_scrub(cur, SCRUB_BATCH)))
		left -= n < left ? n : left;
}

static void *scrub_loop(void *arg)
{
	struct lab_cursor cur;
	struct timespec idle = { 0, IDLE_NS };

	(void)arg;
	setpriority(PRIO_PROCESS, (id_t)gettid(), SCRUB_NICE);
	lab_cursor_init(&cur, worker.lab, SCRUB_VCPU);
	while (!atomic_load_explicit(&worker.stop, memory_order_relaxed))
		if (!lab_scrub(&cur, SCRUB_BATCH))
			nanosleep(&idle, NULL);
	drain(&cur);
	lab_cursor_park(&cur);
	return NULL;
}

int lab_scrubber_start(struct labyrinth *lab)
{
	const char *how = getenv("LABYRINTH_SCRUB");
	int err;

	if (how && !strcmp(how, "release")) {
		lab->scrub_at_release = true;
		return 0;
	}
	if ((how && !strcmp(how, "off")) || !lab_pool(lab))
		return 0;
	if (worker.lab)
		return LAB_EBUSY;
	worker.lab = lab;
	atomic_store(&worker.stop, false);
	/* Quiet: a SIGTERM must reach the monitor's handler. */
	err = quiet_thread_start(&worker.thread, scrub_loop, NULL);
	if (err) {
		worker.lab = NULL;
		return LAB_ENOMEM;
	}
	return 0;
}

void lab_scrubber_stop(struct labyrinth *lab)
{
	if (!lab || worker.lab != lab)
		return;
	atomic_store(&worker.stop, true);
	pthread_join(worker.thread, NULL);
	worker.lab = NULL;
}
