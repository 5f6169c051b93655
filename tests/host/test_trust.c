// SPDX-License-Identifier: MIT
/*
 * test_trust.c - a labyrinth file put there by somebody else, or open to
 * somebody else, is refused (LAB_EACCES, `labyrinth` status 5, one line):
 * another user's file, files writable by others or by an untrusted group,
 * a symlink, a fifo, a directory at the name.  The operators' group is
 * trusted when named (lab_trust_group, LABYRINTH_GROUP).  Cases that play
 * another user need root and skip without it.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "labyrinth_host.h"
#include "nb.h"

#define NOBODY 65534

static char name[64], path[128], out[4096];

static void setup(void)
{
	nb_name(name, sizeof(name), "trust");
	snprintf(path, sizeof(path), "/dev/shm/labyrinth.%s", name);
	lab_destroy(name);
}

static void teardown(void)
{
	lab_destroy(name);
}

TestSuite(trust, .init = setup, .fini = teardown, .timeout = 30);

static void make(void)
{
	struct lab_geometry geo = { 512, 1, 0 };

	cr_assert_eq(lab_create(name, &geo), 0);
}

/* Refused by the API and by the command, with its status and one line. */
static void expect_refused(int err, int status)
{
	struct labyrinth *lab;

	cr_expect_eq(lab_open(name, &lab), err);
	cr_expect_eq(lab_attach(name, &lab), err);
	cr_expect_eq(sh_out(out, sizeof(out), "%s info %s", env_path("LABYRINTH_BIN"), name),
		     status, "%s", out);
	cr_expect_eq(nb_lines(out), 1, "%s", out);
}

static void expect_usable(void)
{
	struct labyrinth *lab;

	cr_expect_eq(lab_open(name, &lab), 0);
	lab_detach(lab);
}

static void need_root(void)
{
	if (geteuid())
		cr_skip_test("playing another user needs root");
}

/* `labyrinth create` as nobody: a squatter who got there first. */
static void squat(mode_t mode)
{
	pid_t pid = fork();
	gid_t nogroup = NOBODY;

	cr_assert_geq(pid, 0);
	if (!pid) {
		if (setgroups(1, &nogroup) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		execl("/bin/sh", "sh", "-c", "\"$0\" create \"$1\" --rooms 512 && chmod \"$2\" \"$3\"",
		      env_path("LABYRINTH_BIN"), name, mode == 0666 ? "0666" : "0600", path,
		      (char *)NULL);
		_exit(101);
	}
	cr_assert_eq(reap_status(pid, 10000), 0, "the squatter failed");
}

Test(trust, a_file_squatted_by_another_user)
{
	struct stat st;

	need_root();
	squat(0600);
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert_eq(st.st_uid, NOBODY);
	expect_refused(LAB_EACCES, 5);
	cr_expect(strstr(out, "refused"), "%s", out);
	cr_assert_eq(lab_destroy(name), 0);
	squat(0666);
	expect_refused(LAB_EACCES, 5);
}

/* What another user cannot open is refused the same way. */
Test(trust, a_private_file_of_root_to_another_user)
{
	pid_t pid;

	need_root();
	make();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		struct labyrinth *lab;

		if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		_exit(lab_open(name, &lab) == LAB_EACCES ? 0 : 1);
	}
	cr_expect_eq(reap_status(pid, 5000), 0);
}

Test(trust, modes_that_let_others_write)
{
	struct stat st;

	make();
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "created %o", st.st_mode & 0777);
	cr_assert_eq(chmod(path, 0602), 0);
	expect_refused(LAB_EACCES, 5);
	cr_assert_eq(chmod(path, 0620), 0);
	expect_refused(LAB_EACCES, 5);
	lab_trust_group(st.st_gid + 1);
	expect_refused(LAB_EACCES, 5);
	lab_trust_group(st.st_gid);
	expect_usable();
	cr_assert_eq(chmod(path, 0622), 0);
	expect_refused(LAB_EACCES, 5);		/* others: never */
	lab_trust_group(LAB_NOGROUP);
	cr_assert_eq(chmod(path, 0644), 0);	/* reading is the owner's choice */
	expect_usable();
}

Test(trust, create_group_and_labyrinth_group)
{
	const char *bin = env_path("LABYRINTH_BIN");
	struct group *g = getgrnam("daemon");	/* static: read it at once */
	gid_t daemon = g ? g->gr_gid : 0;
	struct stat st;

	need_root();
	cr_assert(g && getgrnam("bin"), "no groups daemon and bin");
	cr_assert_eq(sh_out(out, sizeof(out), "%s create %s --rooms 512 --group daemon", bin,
			   name), 0, "%s", out);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0660, "mode %o", st.st_mode & 0777);
	cr_expect_eq(st.st_gid, daemon);
	cr_expect_eq(sh_out(out, sizeof(out), "%s info %s", bin, name), 5, "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "LABYRINTH_GROUP=daemon %s info %s", bin, name), 0,
		     "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "LABYRINTH_GROUP=%u %s info %s",
			   (unsigned)daemon, bin, name), 0, "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "LABYRINTH_GROUP=bin %s info %s", bin, name), 5,
		     "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "LABYRINTH_GROUP=nb-no-such-group %s info %s", bin,
			   name), 5, "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "%s create %s-2 --rooms 512 --group nb-no-such-group",
			   bin, name), 2, "%s", out);
	cr_expect_eq(nb_lines(out), 1, "%s", out);
}

Test(trust, what_is_not_a_regular_file)
{
	char target[160];
	struct labyrinth *lab;

	make();
	snprintf(target, sizeof(target), "%s.real", path);
	cr_assert_eq(rename(path, target), 0);
	cr_assert_eq(symlink(target, path), 0);
	expect_refused(LAB_EACCES, 5);
	unlink(path);
	unlink(target);
	cr_assert_eq(mkfifo(path, 0600), 0);
	expect_refused(LAB_EACCES, 5);		/* and no hang on the fifo */
	unlink(path);
	/* a socket: open() says ENXIO, once passed on as a system error */
	int sock = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	cr_assert_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	expect_refused(LAB_EACCES, 5);
	close(sock);
	unlink(path);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_expect_eq(lab_open(name, &lab), LAB_EACCES);
	rmdir(path);
	/* a file with a second name: put together by someone else */
	lab_destroy(name);
	make();
	cr_assert_eq(link(path, target), 0);
	expect_refused(LAB_EACCES, 5);
	unlink(target);
	cr_expect_eq(lab_open(name, &lab), 0, "one name again: trusted");
	lab_detach(lab);
}

Test(trust, the_monitor_refuses_a_squatted_file)
{
	const char *vmm = getenv("VMM"), *images = getenv("IMAGES");
	int status;

	need_root();
	if (!vmm || !images)
		cr_skip_test("no monitor or images here");
	squat(0666);
	status = sh_out(out, sizeof(out), "%s --labyrinth %s %s/hello.elf", vmm, name, images);
	cr_expect_eq(status, 76, "status %d: %s", status, out);
	cr_expect(strstr(out, name), "%s", out);
}

/* A file of nobody's under an extent name (+1) of a labyrinth not made
 * yet: no labyrinth of that name (3) to info, a file in the way (5, one
 * line naming it and its owner) to create; destroy removes it when its
 * caller may (root), and says the same when it may not (another user). */
Test(trust, a_squatted_extent_name)
{
	const char *bin = env_path("LABYRINTH_BIN");
	char extent[160], create[256];
	struct stat st;
	int fd;

	need_root();
	snprintf(extent, sizeof(extent), "%s+1", path);
	snprintf(create, sizeof(create), "%s create %s --rooms 1024 --extent 2M", bin, name);
	fd = open(extent, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fchown(fd, NOBODY, NOBODY), 0);
	close(fd);
	cr_expect_eq(sh_out(out, sizeof(out), "%s", create), 5, "%s", out);
	cr_expect_eq(nb_lines(out), 1, "%s", out);
	cr_expect(strstr(out, extent) && strstr(out, "uid 65534"), "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "%s info %s", bin, name), 3, "%s", out);
	/* daemon (uid 1) may not remove nobody's file from the sticky /dev/shm */
	cr_expect_eq(sh_out(out, sizeof(out), "setpriv --reuid=1 --regid=1 --clear-groups "
			   "%s destroy %s", bin, name), 5, "%s", out);
	cr_expect_eq(nb_lines(out), 1, "%s", out);
	cr_expect(strstr(out, extent) && strstr(out, "uid 65534"), "%s", out);
	cr_expect_eq(lstat(extent, &st), 0, "another user removed nobody's file");
	cr_expect_eq(sh_out(out, sizeof(out), "%s destroy %s", bin, name), 3, "%s", out);
	cr_expect_neq(lstat(extent, &st), 0, "destroy left %s", extent);
	cr_expect_eq(sh_out(out, sizeof(out), "%s", create), 0, "%s", out);
	unlink(extent);
}

/* A squatter's +0 holding the making lock, as a creator at work would:
 * not a creator of ours, so still a file in the way, and removable. */
Test(trust, a_squatted_extent_zero_with_the_making_lock)
{
	const char *bin = env_path("LABYRINTH_BIN");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1 };
	char extent[160];
	struct stat st;
	int fd;

	need_root();
	snprintf(extent, sizeof(extent), "%s+0", path);
	fd = open(extent, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fchown(fd, NOBODY, NOBODY), 0);
	cr_assert_eq(fchmod(fd, 0666), 0);
	cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), 0);
	cr_expect_eq(sh_out(out, sizeof(out), "%s create %s --rooms 512", bin, name), 5,
		     "%s", out);
	cr_expect(strstr(out, extent), "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "%s destroy %s", bin, name), 3, "%s", out);
	cr_expect_neq(lstat(extent, &st), 0, "destroy left %s", extent);
	close(fd);
}
