// SPDX-License-Identifier: MIT
/*
 * test_pidns.c - leases across PID namespaces (`unshare -p -f
 * --mount-proc`).  A monitor in its own namespace is pid 1 there and some
 * other pid here: it must look alive from here while it lives (its rooms
 * never reaped), be reaped once killed, and be found by lab_lease_holder()
 * under the pid we know it by.  A reaper in its own namespace must not
 * take a live monitor outside it for dead.  Skips where the kernel refuses
 * new PID namespaces.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "nb.h"

#define ROOMS 2048
#define UNSHARE "/usr/bin/unshare", "-p", "-f", "--mount-proc"

static char name[64], out[8192];

static void setup(void)
{
	struct lab_geometry geo = { ROOMS, 1, 0 };

	if (access("/usr/bin/unshare", X_OK) ||
	    sh_out(out, sizeof(out), "/usr/bin/unshare -p -f --mount-proc true"))
		cr_skip_test("no PID namespaces here (unshare: %s)", out);
	nb_name(name, sizeof(name), "pidns");
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
}

static void teardown(void)
{
	lab_destroy(name);
}

TestSuite(pidns, .init = setup, .fini = teardown, .timeout = 60);

static struct lab_lease_info lease_of(struct labyrinth *lab, uint32_t g)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	unsigned int n = lab_leases(lab, l, LAB_MAX_GUESTS);

	for (unsigned int i = 0; i < n; i++)
		if (l[i].guest == g)
			return l[i];
	cr_assert_fail("no lease %u", g);
	return (struct lab_lease_info){ 0 };
}

/* Whether /proc/PID (ours) is a process whose command line holds @what. */
static bool proc_is(int pid, const char *what)
{
	char path[64], cmd[512] = "";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	return strstr(cmd, what);
}

Test(pidns, a_holder_in_a_pid_namespace_lives_then_is_reaped)
{
	char *argv[] = { UNSHARE, (char *)env_path("NB_HOLDER"), name, "100", NULL };
	char line[64];
	struct labyrinth *lab;
	struct lab_lease_info l;
	int fd, holder, nspid;
	uint32_t g;
	pid_t un = spawn_piped(argv, &fd);

	cr_assert(read_line_within(fd, line, sizeof(line), 5000), "holder not ready");
	cr_assert_eq(sscanf(line, "ready %u %d", &g, &nspid), 2, "%s", line);
	cr_expect_eq(nspid, 1, "the holder is not its namespace's init");
	cr_assert_eq(lab_open(name, &lab), 0);
	l = lease_of(lab, g);
	cr_expect(l.alive, "a live holder in another namespace looks dead");
	cr_expect_eq(l.rooms, 100);
	cr_expect_eq(lab_reap(lab), 0, "a live holder's rooms were reaped");
	holder = lab_lease_holder(lab, g);
	cr_assert_gt(holder, 1, "holder pid %d", holder);
	cr_expect(proc_is(holder, "nb_holder"), "pid %d is not the holder", holder);
	cr_expect_eq(l.pid, holder);
	kill(holder, SIGKILL);
	reap_status(un, 5000);
	cr_expect_not(lease_of(lab, g).alive, "a killed holder looks alive");
	cr_expect_eq(lab_lease_holder(lab, g), -1);
	cr_expect_eq(lab_reap(lab), 100);
	lab_detach(lab);
	close(fd);
}

Test(pidns, a_reaper_in_a_pid_namespace_leaves_a_live_lease_alone)
{
	char *argv[] = { (char *)env_path("NB_HOLDER"), name, "100", NULL };
	const char *bin = env_path("LABYRINTH_BIN");
	char line[64];
	int fd, status;
	pid_t h = spawn_piped(argv, &fd);

	cr_assert(read_line_within(fd, line, sizeof(line), 5000), "holder not ready");
	status = sh_out(out, sizeof(out), "/usr/bin/unshare -p -f --mount-proc %s reap %s",
		       bin, name);
	cr_expect_eq(status, 0, "%s", out);
	cr_expect_str_eq(out, "reaped 0 rooms\n");
	status = sh_out(out, sizeof(out), "/usr/bin/unshare -p -f --mount-proc %s info %s --json",
		       bin, name);
	cr_expect_eq(status, 0, "%s", out);
	cr_expect(strstr(out, "\"pid\":null,\"alive\":true,\"rooms\":100"), "%s", out);
	cr_expect_not(read_line_within(fd, line, sizeof(line), 200), "holder: %s", line);
	kill(h, SIGKILL);
	reap_status(h, 5000);
	status = sh_out(out, sizeof(out), "/usr/bin/unshare -p -f --mount-proc %s reap %s",
		       bin, name);
	cr_expect_str_eq(out, "reaped 100 rooms\n");
	close(fd);
}

/* The real monitor, guests claiming and releasing on two vCPUs, in its
 * own PID namespace while we reap from outside: it must finish clean.
 * Then one is killed, found by its pid here, and reaped. */
Test(pidns, a_monitor_in_a_pid_namespace)
{
	const char *vmm = getenv("VMM"), *images = getenv("IMAGES");
	char image[512], *argv[] = { UNSHARE, (char *)vmm, "--labyrinth", name,
				     "--cpus", "2", "--timeout", "60", "--cmdline",
				     "secs=3", image, NULL };
	struct labyrinth *lab;
	struct lab_census c;
	int fd, status = -1;
	pid_t un;

	if (!vmm || !images || access("/dev/kvm", R_OK | W_OK)) {
		teardown();	/* a skip does not run .fini */
		cr_skip_test("no monitor, images or /dev/kvm here");
	}
	snprintf(image, sizeof(image), "%s/hc-share.elf", images);
	cr_assert_eq(lab_open(name, &lab), 0);
	un = spawn_piped(argv, &fd);
	for (int i = 0; i < 200; i++) {		/* ~4 s of reaping under it */
		lab_reap(lab);
		if (waitpid(un, &status, WNOHANG) == un)
			break;
		sleep_ms(20);
	}
	if (waitpid(un, &status, WNOHANG) == 0)
		reap_within(un, 30000, &status);
	cr_expect_eq(exit_status(status), 0, "the monitor failed: %d", exit_status(status));
	close(fd);

	for (char **a = argv; *a; a++)
		if (!strcmp(*a, "secs=3"))
			*a = "secs=30";
	un = spawn_piped(argv, &fd);
	cr_assert(WAIT_UNTIL((lab_census(lab, &c), c.claimed > 0), 5000),
		  "the guest claimed nothing");
	int pid = -1;
	for (uint32_t g = 0; g < LAB_MAX_GUESTS && pid < 0; g++)
		if (c.guest_rooms[g])
			pid = lab_lease_holder(lab, g);
	cr_assert_gt(pid, 1);
	cr_expect(proc_is(pid, "vmm"), "pid %d is not the monitor", pid);
	kill(pid, SIGKILL);
	reap_status(un, 10000);
	lab_reap(lab);
	lab_census(lab, &c);
	cr_expect_eq(c.free, ROOMS, "%u rooms not reaped", ROOMS - c.free);
	lab_detach(lab);
	close(fd);
}
