/* A pressure episode, end to end: two monitors run labyrinth-demo hoard=1
 * (every vCPU fills its magazine, then only idles: its rooms come back only
 * if a pressure interrupt asks);
 * this process then claims until the free count is below the low
 * watermark. The monitors see the episode and interrupt their guests, which
 * give back what their magazines keep: the free count must rise.
 *   pressure_run test   exits 0 when an episode was seen and free rose
 *                       back above low within 3 s, and `labyrinth check`
 *                       passes afterwards (no timing is judged)
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

#include "clock.h"
#include "labyrinth_host.h"

#define ROOMS 8192u
#define EPISODES 5

static char name[64];

static pid_t start_demo(void)
{
	char image[4096];
	pid_t pid;

	snprintf(image, sizeof(image), "%s/labyrinth-demo.elf", getenv("IMAGES"));
	pid = fork();
	if (pid == 0) {
		int null = open(getenv("DEMO_OUT") ? getenv("DEMO_OUT") : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(null, 1);
		execl(getenv("VMM"), "vmm", "--labyrinth", name, "--cpus", "2", "--timeout", "60",
		      "--cmdline", "hoard=1 secs=12", image, (char *)NULL);
		_exit(127);
	}
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

/* ms from now until free > low (or -1 after 3 s). */
static double wait_above(struct labyrinth *lab, uint32_t low)
{
	uint64_t t0 = clock_ns();

	while (clock_ns() - t0 < 3000000000ull) {
		if (free_rooms(lab) > low)
			return (clock_ns() - t0) / 1e6;
		usleep(1000);
	}
	return -1;
}

/* Rooms come back because the guests gave them, not because one ended. */
static bool alive(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (waitpid(pids[i], NULL, WNOHANG) != 0)
			return false;
	return true;
}

static unsigned leases(struct labyrinth *lab)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];

	return lab_leases(lab, l, LAB_MAX_GUESTS);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One episode with two fresh hoarding guests; its time in ms, or -1. */
static double episode(struct labyrinth *lab, const struct lab_watermarks *w)
{
	static uint32_t held[ROOMS];
	struct lab_cursor cur;
	pid_t demo[2] = {start_demo(), start_demo()};
	double ms = -1;
	unsigned n;

	usleep(2500000);	/* both guests up, magazines filled */
	lab_cursor_init(&cur, lab, 0);
	n = squeeze(lab, &cur, held, w->low);
	if (free_rooms(lab) >= w->low)
		fprintf(stderr, "pressure: could not squeeze below low (%u free, low %u)\n",
			free_rooms(lab), w->low);
	else if ((ms = wait_above(lab, w->low)) < 0)
		fprintf(stderr, "pressure: free stayed at %u (low %u) for 3 s\n", free_rooms(lab),
			w->low);
	usleep(300000);		/* a guest that died would be gone by now */
	if (ms >= 0 && (!alive(demo, 2) || leases(lab) != 3)) {
		fprintf(stderr, "pressure: a guest died instead of giving rooms back\n");
		ms = -1;
	}
	for (unsigned i = 0; i < n; i += LAB_HC_BATCH_MAX)
		if (lab_release(&cur, held + i, n - i < LAB_HC_BATCH_MAX ? n - i : LAB_HC_BATCH_MAX)) {
			fprintf(stderr, "pressure: cannot give back the squeeze\n");
			ms = -1;
		}
	lab_cursor_park(&cur);
	for (int i = 0; i < 2; i++) {
		kill(demo[i], SIGTERM);
		waitpid(demo[i], NULL, 0);
	}
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
		qsort(ms, EPISODES, sizeof(ms[0]), cmp);
		printf("BENCH pressure.rooms_returned_ms %.1f ms\n", ms[EPISODES / 2]);
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
