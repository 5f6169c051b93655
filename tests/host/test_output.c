// SPDX-License-Identifier: MIT
/*
 * test_output.c - `map --svg PATH` and `metrics --textfile PATH` against
 * whatever a neighbour (or the system) put at PATH: a character device is
 * written to and stays a device, a fifo is written to and stays a fifo, a
 * symlink to another user's file is refused with one line and both are
 * left as they were, a socket is refused, `-` is stdout.  (A full disk:
 * test_capacity.c.)  Devices and another user's file need root.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "nb.h"

#define NOBODY 65534

static const char *const verbs[] = { "map %s --svg %s", "metrics %s --textfile %s" };
static char name[64], dir[128], at[192], out[4096];

static void setup(void)
{
	struct lab_geometry geo = { 512, 1, 0 };

	nb_name(name, sizeof(name), "out");
	snprintf(dir, sizeof(dir), "/tmp/%s", name);
	snprintf(at, sizeof(at), "%s/at", dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
}

static void teardown(void)
{
	char cmd[256];

	lab_destroy(name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(output, .init = setup, .fini = teardown, .timeout = 60);

/* `labyrinth VERB` with PATH = at: its status; what it said into out. */
static int write_at(const char *verb)
{
	char args[256];

	snprintf(args, sizeof(args), verb, name, at);
	return sh_out(out, sizeof(out), "%s %s", env_path("LABYRINTH_BIN"), args);
}

static mode_t kind_at(void)
{
	struct stat st;

	cr_assert_eq(lstat(at, &st), 0, "%s is gone", at);
	return st.st_mode & S_IFMT;
}

static void need_root(void)
{
	if (geteuid())
		cr_skip_test("making a device or another user's file needs root");
}

/* A copy of /dev/null at PATH: written to, and still a device after. */
Test(output, a_character_device_is_written_to_not_replaced)
{
	need_root();
	cr_assert_eq(mknod(at, S_IFCHR | 0666, makedev(1, 3)), 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		cr_expect_eq(write_at(verbs[i]), 0, "%s: %s", verbs[i], out);
		cr_expect_eq(kind_at(), S_IFCHR, "%s replaced the device", verbs[i]);
	}
}

/* A copy of /dev/full: the device's error, on one line, device kept. */
Test(output, a_full_device_is_one_line_and_status_1)
{
	need_root();
	cr_assert_eq(mknod(at, S_IFCHR | 0666, makedev(1, 7)), 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		cr_expect_eq(write_at(verbs[i]), 1, "%s: %s", verbs[i], out);
		cr_expect_eq(nb_lines(out), 1, "%s: %s", verbs[i], out);
		cr_expect(strstr(out, "No space left"), "%s: %s", verbs[i], out);
		cr_expect_eq(kind_at(), S_IFCHR, "%s replaced the device", verbs[i]);
	}
}

/* Read the fifo (opened before the writer, without blocking) while the
 * command runs, and what is left once it has ended. */
static size_t read_fifo_while(const char *verb, char *buf, size_t len, int *status)
{
	char args[256];
	int fd = open(at, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	size_t got = 0;
	pid_t pid;
	int done = 0;

	cr_assert_geq(fd, 0);
	snprintf(args, sizeof(args), verb, name, at);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1",
			 env_path("LABYRINTH_BIN"), args);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int ms = 0; ms < 20000; ms += 10) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n > 0)
			got += (size_t)n;
		if (n <= 0 && done)
			break;
		if (!done && waitpid(pid, status, WNOHANG) == pid)
			done = 1;
		if (n <= 0)
			sleep_ms(10);
	}
	if (!done)
		reap_within(pid, 100, status);
	close(fd);
	buf[got] = '\0';
	return got;
}

Test(output, a_fifo_is_written_to_not_replaced)
{
	static const char *const expect[] = { "<svg", "labyrinth_rooms" };
	static char text[1 << 20];

	cr_assert_eq(mkfifo(at, 0600), 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		int status = -1;

		read_fifo_while(verbs[i], text, sizeof(text), &status);
		cr_expect_eq(exit_status(status), 0, "%s", verbs[i]);
		cr_expect(strstr(text, expect[i]), "%s: the reader got '%.80s'",
			  verbs[i], text);
		cr_expect_eq(kind_at(), S_IFIFO, "%s replaced the fifo", verbs[i]);
	}
}

/* Root writing where a neighbour's link points: refused with one line;
 * the link stays a link, the file it names is as it was. */
Test(output, a_symlink_to_another_users_file_is_refused)
{
	char victim[256], text[64] = "";
	struct stat st;
	FILE *f;

	need_root();
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	cr_assert(f && fputs("precious\n", f) >= 0 && !fclose(f));
	cr_assert_eq(chown(victim, NOBODY, NOBODY), 0);
	cr_assert_eq(symlink(victim, at), 0);
	cr_assert_eq(lchown(at, NOBODY, NOBODY), 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		cr_expect_eq(write_at(verbs[i]), 1, "%s: %s", verbs[i], out);
		cr_expect_eq(nb_lines(out), 1, "%s: %s", verbs[i], out);
		cr_expect(strstr(out, "symbolic link"), "%s: %s", verbs[i], out);
		cr_expect_eq(kind_at(), S_IFLNK, "%s replaced the link", verbs[i]);
		f = fopen(victim, "r");
		cr_assert(f && fgets(text, sizeof(text), f));
		fclose(f);
		cr_expect_str_eq(text, "precious\n", "%s wrote through the link", verbs[i]);
		cr_assert_eq(stat(victim, &st), 0);
		cr_expect_eq(st.st_uid, NOBODY);
	}
}

Test(output, a_socket_is_refused_not_replaced)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	cr_assert_lt(strlen(at), sizeof(sa.sun_path));
	memcpy(sa.sun_path, at, strlen(at));
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		cr_expect_eq(write_at(verbs[i]), 1, "%s: %s", verbs[i], out);
		cr_expect_eq(nb_lines(out), 1, "%s: %s", verbs[i], out);
		cr_expect(strstr(out, "socket"), "%s: %s", verbs[i], out);
		cr_expect_eq(kind_at(), S_IFSOCK, "%s replaced the socket", verbs[i]);
	}
	close(s);
}

/* `-` is stdout for both; no file named `-` appears. */
Test(output, a_dash_is_stdout)
{
	static const char *const verbs_out[] = { "map %s --svg -",
						 "metrics %s --textfile -" };
	static const char *const expect[] = { "<svg", "labyrinth_rooms" };
	char got[256], dash[192];

	snprintf(dash, sizeof(dash), "%s/-", dir);
	for (size_t i = 0; i < sizeof(verbs_out) / sizeof(verbs_out[0]); i++) {
		char args[256];
		FILE *f;
		size_t n;

		snprintf(args, sizeof(args), verbs_out[i], name);
		cr_expect_eq(sh_out(out, sizeof(out), "cd %s && %s %s >%s", dir,
				   env_path("LABYRINTH_BIN"), args, at), 0, "%s", out);
		f = fopen(at, "r");
		cr_assert(f);
		n = fread(got, 1, sizeof(got) - 1, f);
		got[n] = '\0';
		fclose(f);
		cr_expect(strstr(got, expect[i]), "%s: %.80s", verbs_out[i], got);
		cr_expect_neq(access(dash, F_OK), 0, "%s wrote a file named '-'",
			      verbs_out[i]);
	}
}
