// SPDX-License-Identifier: MIT
/*
 * lease.c - leases: which processes are attached, and reaping the dead.
 *
 * A lease word is pid (22 bits) | start time (41 bits, clock ticks since
 * boot, /proc/PID/stat field 22) << 22 | REAPING (bit 63).  Pid plus start
 * time names a process for good: a recycled pid has another start time.
 * Taking a slot is one CAS 0 -> word, so a process killed while attaching
 * holds either nothing or a complete lease.
 *
 * Reaping a dead lease g: CAS word -> word|REAPING (one reaper wins), then
 * record ourselves in @reaper, scrub and free g's rooms, clear @reaper,
 * and finally CAS the word back to 0.  The slot cannot be reused before
 * the last step, so no new guest g can appear while g's rooms are freed.
 * A reaper killed half way leaves REAPING with a dead @reaper (or 0): the
 * next reaper takes over; freeing g's rooms twice is harmless because
 * only rooms still owned by g are touched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hall.h"
#include "host.h"

#define LEASE_PID_BITS	22
#define LEASE_PID_MASK	((1ull << LEASE_PID_BITS) - 1)
#define LEASE_TIME_MASK	((1ull << 41) - 1)
#define LEASE_REAPING	(1ull << 63)

/* Start time of @pid, 0 if it is gone or already dead (zombie). */
static uint64_t proc_start_time(pid_t pid)
{
	char path[32], buf[1024], *p;
	unsigned long long start = 0;
	char state;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	/* fields 3 (state), 4..21 skipped, 22 (starttime) */
	if (!p || sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s"
			 " %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
			 &state, &start) != 2)
		return 0;
	if (state == 'Z' || state == 'X')
		return 0;
	return start;
}

static uint64_t lease_word(pid_t pid, uint64_t start)
{
	return ((start & LEASE_TIME_MASK) << LEASE_PID_BITS) |
	       ((uint64_t)pid & LEASE_PID_MASK);
}

uint64_t lease_self(void)
{
	pid_t pid = getpid();

	return lease_word(pid, proc_start_time(pid));
}

bool lease_alive(uint64_t word)
{
	pid_t pid = (pid_t)(word & LEASE_PID_MASK);
	uint64_t start;

	if (!pid)
		return false;
	start = proc_start_time(pid);
	return start && lease_word(pid, start) == (word & ~LEASE_REAPING);
}

int lease_take(struct labyrinth *lab)
{
	uint64_t me = lease_self();

	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++) {
		uint64_t none = 0;

		if (atomic_compare_exchange_strong(&lab->hall->lease[g].word,
						   &none, me)) {
			lab->guest = g;
			lab_cursor_init(&lab->seed_cursor, lab, 0);
			return 0;
		}
	}
	return LAB_EBUSY;
}

void lease_drop(struct labyrinth *lab)
{
	if (lab->guest < LAB_MAX_GUESTS)
		atomic_store(&lab->hall->lease[lab->guest].word, 0);
	lab->guest = LAB_NONE;
}

/* Become the reaper of slot @l holding @word; false if not ours to reap. */
static bool reap_begin(struct lab_lease *l, uint64_t word, uint64_t me)
{
	uint64_t reaper;

	if (!(word & LEASE_REAPING)) {
		if (lease_alive(word))
			return false;
		if (!atomic_compare_exchange_strong(&l->word, &word,
						    word | LEASE_REAPING))
			return false;
		reaper = 0;
	} else {
		reaper = atomic_load(&l->reaper);
		if (reaper && lease_alive(reaper))
			return false;	/* somebody is at it */
	}
	return atomic_compare_exchange_strong(&l->reaper, &reaper, me);
}

static uint32_t reap_slot(struct labyrinth *lab, uint32_t g, uint64_t me)
{
	struct lab_lease *l = &lab->hall->lease[g];
	uint64_t word = atomic_load(&l->word);
	uint32_t freed;

	if (!word || g == lab->guest || !reap_begin(l, word, me))
		return 0;
	word |= LEASE_REAPING;
	freed = lab_reap_guest(lab, g);
	atomic_store(&l->reaper, 0);
	atomic_compare_exchange_strong(&l->word, &word, 0);
	return freed;
}

/*
 * With no lease alive, the free-count estimate can be made exact again
 * (a killed process loses its unpublished delta).  Only a lease-less
 * reaper does it: our own cursors would publish their deltas on top.
 */
static void reap_recount(struct labyrinth *lab)
{
	struct lab_hall *h = lab->hall;

	if (lab->guest != LAB_NONE)
		return;
	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		if (g != lab->guest && atomic_load(&h->lease[g].word))
			return;
	atomic_store(&h->free, (int64_t)hall_count_free(h));
}

int lab_reap(struct labyrinth *lab)
{
	uint64_t me = lease_self();
	uint32_t freed = 0;

	if (!(me & LEASE_PID_MASK))
		return -ESRCH;
	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		freed += reap_slot(lab, g, me);
	reap_recount(lab);
	return (int)freed;
}

unsigned int lab_leases(const struct labyrinth *lab,
			struct lab_lease_info *out, unsigned int max)
{
	struct lab_census c;
	unsigned int n = 0;

	lab_census(lab, &c);
	for (uint32_t g = 0; g < LAB_MAX_GUESTS && n < max; g++) {
		uint64_t word = atomic_load(&lab->hall->lease[g].word);

		if (!word)
			continue;
		out[n++] = (struct lab_lease_info){
			.guest = g,
			.pid = (int32_t)(word & LEASE_PID_MASK),
			.alive = lease_alive(word),
			.rooms = c.guest_rooms[g],
		};
	}
	return n;
}
