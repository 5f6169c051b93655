/* A pressure episode, end to end: two monitors run labyrinth-demo hoard=1
 * (every vCPU fills its magazine, then only idles: its rooms come back only
 * if a pressure interrupt asks);
 * this process then claims until the free count is below the low
 * watermark. The monitors see the episode and interrupt their guests, which
 * give back what their magazines keep: the free count must rise.
 *   pressure_run test   exits 0 when an episode was seen, free rose back
 *                       above low (waited for up to 10 s), both guests
 *                       ran until stopped, and `labyrinth check` passes
 *                       afterwards (no timing is judged)
 *   pressure_run bench  BENCH pressure.rooms_returned_ms: from crossing low
 *                       to free back above it, median of 5 episodes
 * Environment: VMM, IMAGES, LABYRINTH (as the vmm suite sets them). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "test_clock.h"
#include "test_median.h"
#include "test_proc.h"
#include "test_wait.h"

#define ROOMS 8192u
#define EPISODES 5

static char name[64];

static pid_t start_demo(void)
{
	char image[4096];
	char *argv[] = {getenv("VMM"), "--labyrinth", name, "--cpus", "2", "--timeout", "60",
			"--cmdline", "hoard=1 secs=12", image, NULL};
	int out = open(getenv("DEMO_OUT") ? getenv("DEMO_OUT") : "/dev/null",
		       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	pid_t pid;

	snprintf(image, sizeof(image), "%s/labyrinth-demo.elf", getenv("IMAGES"));
	pid = spawn_to(argv, out, -1);
	close(out);
	return pid;
}

static uint32_t free_rooms(struct labyrinth *lab)
{
	struct lab_census c;

	lab_census(lab, &c);
	return c.free;
}

/* Claims until free is just under low; returns how many were taken. */
static unsigned squeeze(struct labyrinth *lab, struct lab_cursor *cur, uint32_t *held,
		       uint32_t low)
{
	unsigned n = 0;

	while (free_rooms(lab) >= low) {
		unsigned want = free_rooms(lab) - low + 1;
		unsigned got = lab_claim(cur, LAB_GFP_ATOMIC, 0, want > 512 ? 512 : want, held + n);
		n += got;
		if (!got)
			break;
	}
	lab_cursor_park(cur);
	return n;
}

/* ms from now until free > low (or -1 after 10 s): the benchmark's
 * figure, never the test's verdict. */
static double wait_above(struct labyrinth *lab, uint32_t low)
{
	double t0 = wall_ns();

	while (wall_ns() - t0 < 10e9) {
		if (free_rooms(lab) > low)
			return (wall_ns() - t0) / 1e6;
		usleep(1000);
	}
	return -1;
}

static unsigned leases(struct labyrinth *lab)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];

	return lab_leases(lab, l, LAB_MAX_GUESTS);
}

/* Rooms the lease of process @pid holds; 0 while it has none. */
static uint32_t rooms_of(struct labyrinth *lab, pid_t pid)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	unsigned n = lab_leases(lab, l, LAB_MAX_GUESTS);

	for (unsigned i = 0; i < n; i++)
		if (l[i].alive && l[i].pid == pid)
			return l[i].rooms;
	return 0;
}

/* Each of a hoarding guest's two vCPUs keeps 64 rooms in its magazine
 * (labyrinth-demo.c): a guest holding that many has filled them. */
#define HOARDED (2 * 64u)

static bool hoarded(struct labyrinth *lab, const pid_t *demo)
{
	return rooms_of(lab, demo[0]) >= HOARDED && rooms_of(lab, demo[1]) >= HOARDED;
}

/* Rooms came back because the guests gave them, not because one ended:
 * each monitor is still there to be stopped, and says so with the status
 * of a SIGTERM it handled (any other is the end it met before). */
static bool both_ran_until_stopped(const pid_t *demo)
{
	bool ran = true;

	for (int i = 0; i < 2; i++) {
		int st;

		kill(demo[i], SIGTERM);
		st = reap_status(demo[i], 10000);
		if (st != 128 + SIGTERM) {
			fprintf(stderr, "pressure: guest %d ended with status %d, not by SIGTERM\n",
				i, st);
			ran = false;
		}
	}
	return ran;
}

/* One episode with two fresh hoarding guests; its time in ms, or -1. */
static double episode(struct labyrinth *lab, const struct lab_watermarks *w)
{
	static uint32_t held[ROOMS];
	struct lab_cursor cur;
	pid_t demo[2] = {start_demo(), start_demo()};
	double ms = -1;

	unsigned n = 0;

	lab_cursor_init(&cur, lab, 0);
	if (!WAIT_UNTIL(hoarded(lab, demo), 30000)) {
		fprintf(stderr, "pressure: the guests hold %u and %u rooms, not %u each\n",
			rooms_of(lab, demo[0]), rooms_of(lab, demo[1]), HOARDED);
	} else {
		n = squeeze(lab, &cur, held, w->low);
		if (free_rooms(lab) >= w->low)
			fprintf(stderr, "pressure: could not squeeze below low (%u free, low %u)\n",
				free_rooms(lab), w->low);
		else if ((ms = wait_above(lab, w->low)) < 0)
			fprintf(stderr, "pressure: free stayed at %u (low %u) for 10 s\n",
				free_rooms(lab), w->low);
	}
	if (ms >= 0 && leases(lab) != 3) {
		fprintf(stderr, "pressure: a guest left instead of giving rooms back\n");
		ms = -1;
	}
	for (unsigned i = 0; i < n; i += LAB_HC_BATCH_MAX)
		if (lab_release(&cur, held + i, n - i < LAB_HC_BATCH_MAX ? n - i : LAB_HC_BATCH_MAX)) {
			fprintf(stderr, "pressure: cannot give back the squeeze\n");
			ms = -1;
		}
	lab_cursor_park(&cur);
	if (!both_ran_until_stopped(demo))
		ms = -1;
	return ms;
}

int main(int argc, char **argv)
{
	struct lab_geometry geo = {.rooms = ROOMS, .corridors = 1, .reserve = 0};
	bool bench = argc > 1 && !strcmp(argv[1], "bench");
	int episodes = bench ? EPISODES : 1, ok = 1;
	double ms[EPISODES];
	struct lab_watermarks w;
	struct labyrinth *lab;
	bool now;

	snprintf(name, sizeof(name), "test-pressure-%d", getpid());
	lab_destroy(name);
	if (lab_create(name, &geo) || lab_attach(name, &lab))
		return 2;
	lab_watermarks(lab, &w);
	for (int e = 0; e < episodes && ok; e++)
		ok = (ms[e] = episode(lab, &w)) >= 0;
	if (ok && lab_pressure_events(lab, &now) < (uint64_t)episodes) {
		fprintf(stderr, "pressure: %lu episodes seen, %d made\n",
			(unsigned long)lab_pressure_events(lab, &now), episodes);
		ok = 0;
	}
	if (bench && ok) {
		printf("BENCH pressure.rooms_returned_ms %.1f ms\n", median_of(ms, EPISODES));
		printf("BENCH pressure.poll_period_ms %d ms\n", 5);
	}
	lab_detach(lab);
	if (!bench) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "%s check %s >&2", getenv("LABYRINTH"), name);
		ok = ok && system(cmd) == 0;
	}
	lab_destroy(name);
	return ok ? 0 : 1;
}
