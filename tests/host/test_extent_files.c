// SPDX-License-Identifier: MIT
/*
 * test_extent_files.c - the extent files beside a labyrinth's metadata
 * (/dev/shm/labyrinth.NAME+K) are found under names anyone may take, as
 * the metadata file is (test_trust.c covers that one):
 *   - a create whose extent name is already taken fails with status 4 and
 *     one line, and leaves nothing of its own (the metadata file and the
 *     extents it linked before are gone) and the squatter's file alone;
 *   - an extent that is not a regular file (a symlink, a fifo, a socket, a
 *     directory) is refused with LAB_EACCES, status 5 and one line, without
 *     hanging, and the labyrinth is usable again once the file is back.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "host.h"
#include "labyrinth_host.h"
#include "nb.h"

static char name[64], out[4096];

static void setup(void)
{
	snprintf(name, sizeof(name), "cov-extent-files-%d", getpid());
	lab_destroy(name);
}

static void teardown(void)
{
	lab_destroy(name);
}

TestSuite(extent_files, .init = setup, .fini = teardown, .timeout = 30);

static void path_of(char *buf, size_t len, int k)
{
	if (k < 0)
		snprintf(buf, len, LAB_SHM_DIR "/labyrinth.%s", name);
	else
		snprintf(buf, len, LAB_SHM_DIR "/labyrinth.%s+%d", name, k);
}

static bool exists(int k)
{
	char path[128];
	struct stat st;

	path_of(path, sizeof(path), k);
	return !lstat(path, &st);
}

static int cli(const char *verb_fmt)
{
	char args[160];

	snprintf(args, sizeof(args), verb_fmt, name);
	return sh_out(out, sizeof(out), "%s %s", env_path("LABYRINTH_BIN"), args);
}

Test(extent_files, a_create_whose_extent_name_is_taken_leaves_nothing)
{
	char squat[128], text[16] = "";
	FILE *f;

	path_of(squat, sizeof(squat), 2);
	f = fopen(squat, "w");
	cr_assert_not_null(f);
	fputs("squatter\n", f);
	fclose(f);
	cr_assert_eq(cli("create %s --rooms 2048 --extent 2M"), 5, "%s", out);
	cr_expect_eq(nb_lines(out), 1, "%s", out);
	cr_expect(strstr(out, squat) && strstr(out, "in the way"), "%s", out);
	cr_expect_not(exists(-1), "the metadata file was left");
	cr_expect_not(exists(0), "extent 0 was left");
	cr_expect_not(exists(1), "extent 1 was left");
	cr_expect_not(exists(3), "extent 3 was left");
	f = fopen(squat, "r");
	cr_assert_not_null(f, "the squatter's file was taken away");
	cr_expect(fgets(text, sizeof(text), f) && !strcmp(text, "squatter\n"), "%s", text);
	fclose(f);
	cr_expect_eq(cli("info %s"), 3, "%s", out);
	unlink(squat);
	cr_assert_eq(cli("create %s --rooms 2048 --extent 2M"), 0, "%s", out);
	cr_expect_eq(cli("check %s"), 0, "%s", out);
}

/* lab_open, lab_attach and `info` refuse it alike: one line, status 5. */
static void refused(const char *what)
{
	struct labyrinth *lab;

	cr_expect_eq(lab_open(name, &lab), LAB_EACCES, "%s", what);
	cr_expect_eq(lab_attach(name, &lab), LAB_EACCES, "%s", what);
	cr_expect_eq(cli("info %s"), 5, "%s: %s", what, out);
	cr_expect_eq(nb_lines(out), 1, "%s: %s", what, out);
}

Test(extent_files, an_extent_that_is_not_a_regular_file)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[128], real[160];
	struct labyrinth *lab;
	int sock;

	cr_assert_eq(cli("create %s --rooms 2048 --extent 2M"), 0, "%s", out);
	path_of(path, sizeof(path), 1);
	snprintf(real, sizeof(real), "%s.real", path);
	cr_assert_eq(rename(path, real), 0);
	cr_assert_eq(symlink(real, path), 0);
	refused("a symlink to the extent");
	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	refused("a fifo");
	unlink(path);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	refused("a socket");
	close(sock);
	unlink(path);
	cr_assert_eq(mkdir(path, 0700), 0);
	refused("a directory");
	rmdir(path);
	cr_assert_eq(rename(real, path), 0);
	cr_assert_eq(lab_attach(name, &lab), 0, "the real extent back: usable");
	lab_detach(lab);
	cr_expect_eq(cli("check %s"), 0, "%s", out);
}
