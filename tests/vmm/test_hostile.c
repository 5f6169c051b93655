/* Hostile guests beside an honest one, on one named labyrinth: each attack
 * of images/hc-hostile.c runs for a few seconds next to hc-share (which
 * checks that nobody else ever writes its rooms), while `labyrinth check`
 * audits the labyrinth from outside again and again. Afterwards: the honest
 * guest saw no violation, every check passed, and every room is free and
 * zero again. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "test_spawn.h"
#include "test_wait.h"

#define SECS "3"

struct proc {
	pid_t pid;
	char out[PATH_MAX];
};

static char name[64];

static void lab_setup(uint32_t rooms)
{
	struct lab_geometry geo = {.rooms = rooms, .corridors = 1, .reserve = 0};

	snprintf(name, sizeof(name), "test-hostile-%d", getpid());
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
}

/* `labyrinth check`'s status, its output in @r. */
static int check(struct run_result *r)
{
	char *argv[] = {(char *)env_path("LABYRINTH"), "check", name, NULL};

	return run_cmd(argv, 60, r) ? -1 : r->status;
}

/* The promises hold now: `labyrinth check` exits 0. */
static void assert_check(void)
{
	struct run_result r;

	cr_assert_eq(check(&r), 0, "labyrinth check: %s%s", r.out, r.err);
}

static void lab_teardown(void)
{
	struct labyrinth *lab;
	struct lab_census c;

	if (!name[0])
		return;
	if (lab_open(name, &lab) == 0) {
		lab_reap(lab);
		lab_census(lab, &c);
		lab_detach(lab);
		cr_expect_eq(c.free, c.rooms, "rooms lost: %u of %u free", c.free, c.rooms);
	}
	/* Destroyed whatever the check says, then judged. */
	static struct run_result r;
	int st = check(&r);

	lab_destroy(name);
	name[0] = 0;
	cr_expect_eq(st, 0, "labyrinth check: %s%s", r.out, r.err);
}

/* A monitor in the background, its output in a file. */
static struct proc start_vmm(const char *image, const char *cmdline, const char *cpus)
{
	struct proc p;
	char img[PATH_MAX];
	char *argv[] = {(char *)env_path("VMM"), "--labyrinth", name, "--cpus", (char *)cpus,
			"--timeout", "60", "--cmdline", (char *)cmdline, img, NULL};
	int fd;

	snprintf(p.out, sizeof(p.out), "/tmp/test-hostile-%d-%s.out", getpid(), image);
	snprintf(img, sizeof(img), "%s", image_path(image));
	fd = open(p.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s", p.out);
	p.pid = spawn_to(argv, fd, fd);
	close(fd);
	cr_assert(p.pid >= 0);
	return p;
}

/* Waits (bounded) and returns the exit status; *text gets the output. */
static int finish(struct proc *p, char *text, size_t cap)
{
	int st = 0;
	FILE *f;
	size_t n = 0;

	reap_within(p->pid, 90000, &st);
	f = fopen(p->out, "r");
	if (f) {
		n = fread(text, 1, cap - 1, f);
		fclose(f);
	}
	text[n] = 0;
	unlink(p->out);
	return exit_status(st);
}

/* Mappings of process @pid: the window must stay one, whatever it holds. */
static unsigned mappings(pid_t pid)
{
	char path[64], line[512];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* Runs the attack beside the honest guest, auditing all along. */
static void attack(const char *mode, const char *cpus, int want_a, int want_b)
{
	char cmd[64], text[16384];
	struct proc hostile, honest;
	unsigned most = 0;
	int st;

	snprintf(cmd, sizeof(cmd), "mode=%s secs=" SECS, mode);
	hostile = start_vmm("hc-hostile.elf", cmd, cpus);
	honest = start_vmm("hc-share.elf", "secs=" SECS, "2");
	for (int i = 0; i < 6; i++) {
		unsigned m = mappings(hostile.pid);

		most = m > most ? m : most;
		assert_check();
	}
	st = finish(&hostile, text, sizeof(text));
	cr_expect(st == want_a || st == want_b, "hostile %s: status %d\n%s", mode, st, text);
	cr_expect(st != 0 || strstr(text, "hc-hostile: mode="), "no report: %s", text);
	st = finish(&honest, text, sizeof(text));
	cr_expect_eq(st, 0, "honest guest: status %d\n%s", st, text);
	cr_expect(strstr(text, "violations=0"), "honest guest saw violations: %s", text);
	cr_expect_lt(most, 400, "the hostile monitor grew to %u mappings", most);
}

TestSuite(hostile, .init = NULL, .fini = lab_teardown, .timeout = 240);

Test(hostile, release_races_its_own_claims)
{
	lab_setup(16384);
	attack("race", "4", 0, 0);
}

Test(hostile, alternate_rooms_do_not_split_the_window)
{
	lab_setup(1u << 17);
	attack("alternate", "2", 0, 0);
}

Test(hostile, released_under_a_writer_stops_the_writer)
{
	lab_setup(16384);
	attack("write", "2", 74, 0);
}

/* Has process @pid a lease (@claimed: and a room of its own)?  Rooms are
 * looked at in the owner words: a lease's count is published in batches,
 * and a guest that holds a few rooms may show none for a long while. */
static bool leased(pid_t pid, bool claimed)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct labyrinth *lab;
	bool found = false, owns = false;
	uint32_t guest = LAB_NONE;
	unsigned n;

	if (lab_open(name, &lab))
		return false;
	n = lab_leases(lab, l, LAB_MAX_GUESTS);
	for (unsigned i = 0; i < n; i++)
		if (l[i].alive && l[i].pid == pid) {
			found = true;
			guest = l[i].guest;
		}
	for (uint32_t r = 0; found && claimed && !owns && r < lab_rooms(lab); r++) {
		uint32_t o = lab_room_owner(lab, r);

		owns = o && lab_owner_guest(o) == guest;
	}
	lab_detach(lab);
	return found && (!claimed || owns);
}

/* Whoever may write the labyrinth's files cuts one short under a running
 * monitor: one line and status 76, not a death by SIGBUS, nor the guest
 * blamed for touching a room it holds.  The hall (@file ""): the scrubber
 * looks at it every millisecond.  An extent ("+0"): the guest's rooms and
 * the scrubber's zeroing are there. */
static void cut_short(const char *image, const char *cmdline, const char *file)
{
	char path[128], want[256], text[16384];
	struct proc p;
	int st;

	lab_setup(16384);
	p = start_vmm(image, cmdline, "1");
	cr_assert(WAIT_UNTIL(leased(p.pid, *file), 30000),
		  "the monitor never attached%s", *file ? " and claimed" : "");
	snprintf(path, sizeof(path), "/dev/shm/labyrinth.%s%s", name, file);
	cr_assert_eq(truncate(path, 4096), 0);
	st = finish(&p, text, sizeof(text));
	snprintf(want, sizeof(want), "vmm: labyrinth: '%s': its file shrank under us "
		 "(cut short by someone who may write it)\n", name);
	cr_expect_eq(st, 76, "status %d: %s", st, text);
	cr_assert(strstr(text, want), "%s", text);
	/* the guest's own lines share the file: the monitor's are "vmm: " */
	cr_expect_eq(strstr(text, "vmm: "), strstr(text, want), "%s", text);
	cr_expect_null(strstr(strstr(text, want) + 1, "vmm: "), "%s", text);
	/* a labyrinth cut short is no test of the teardown's check */
	lab_destroy(name);
	name[0] = 0;
}

Test(hostile, hall_cut_short_ends_the_monitor_with_a_line)
{
	cut_short("spin.elf", "", "");
}

Test(hostile, extent_cut_short_ends_the_monitor_with_a_line)
{
	cut_short("hc-share.elf", "secs=8", "+0");
}
