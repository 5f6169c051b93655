// SPDX-License-Identifier: MIT
/*
 * test_capacity.c - a labyrinth bigger than the tmpfs under /dev/shm.  In
 * a mount namespace of its own (unshare(CLONE_NEWNS)) a child mounts a
 * 4 MiB tmpfs on /dev/shm and tries: `create` must fail with LAB_ENOSPC
 * (status 6, one line) and leave no file; a sparse labyrinth made by
 * somebody else must be refused the same way by open, attach, info and
 * reap.  Nothing may die of SIGBUS.  Needs root; skips where the kernel
 * refuses the namespace or the mount.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "labyrinth_host.h"
#include "nb.h"

#define SKIP 77

static char name[64], out[4096];
static int failures;

/* In the child, where Criterion's asserts do not reach: count and say. */
#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "test_capacity.c:%d: ", __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

static int small_shm(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("nb-small", LAB_SHM_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=1777")) {
		fprintf(stderr, "SKIP: no small tmpfs here: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* A labyrinth as a careless creator would leave it: sparse files. */
static int make_sparse(const char *n, uint32_t rooms)
{
	struct lab_geometry geo = { rooms, 1, 0 };
	struct lab_plaque p = { LAB_PLAQUE_MAGIC, (uint64_t)rooms * LAB_ROOM_SIZE,
				lab_hall_size(&geo), LAB_ROOM_SIZE, rooms };
	char path[128];
	void *hall;
	int fd;

	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s+0", n);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)p.pool_len))
		return -1;
	close(fd);
	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s", n);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)(p.hall_len + p.table_len + LAB_ROOM_SIZE)) ||
	    pwrite(fd, &p, sizeof(p), (off_t)(p.hall_len + p.table_len)) != sizeof(p))
		return -1;
	hall = mmap(NULL, p.hall_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hall == MAP_FAILED || lab_hall_format(hall, &geo))
		return -1;
	munmap(hall, p.hall_len);
	close(fd);
	return 0;
}

static void cli(int status, const char *what, const char *args)
{
	int got = sh_out(out, sizeof(out), "%s %s", env_path("LABYRINTH_BIN"), args);

	CHECK(got == status, "%s: status %d, not %d: %s", args, got, status, out);
	CHECK(!what || strstr(out, what), "%s: %s", args, out);
}

static void too_big_to_create(void)
{
	struct lab_geometry big = { 4096, 1, 0 };
	char path[128], args[128];
	struct stat st;

	CHECK(lab_create(name, &big) == LAB_ENOSPC, "16 MiB on 4 MiB made");
	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s", name);
	CHECK(lstat(path, &st) && errno == ENOENT, "a failed create left a file");
	snprintf(args, sizeof(args), "create %s --rooms 4096", name);
	cli(6, "not enough memory", args);
	CHECK(!strchr(out, '\n') || !strchr(strchr(out, '\n') + 1, '\n'), "%s", out);
}

static void sparse_is_refused(void)
{
	char sparse[80], args[128];
	struct labyrinth *lab;

	snprintf(sparse, sizeof(sparse), "%s-sparse", name);
	CHECK(make_sparse(sparse, 4096) == 0, "no sparse file");
	CHECK(lab_open(sparse, &lab) == LAB_ENOSPC, "sparse opened");
	CHECK(lab_attach(sparse, &lab) == LAB_ENOSPC, "sparse attached");
	snprintf(args, sizeof(args), "info %s", sparse);
	cli(6, "not enough memory", args);
	snprintf(args, sizeof(args), "reap %s", sparse);
	cli(6, NULL, args);
	lab_destroy(sparse);
}

static void what_fits_works(void)
{
	struct lab_geometry fits = { 512, 1, 0 };
	struct labyrinth *lab;
	char args[128];

	CHECK(lab_create(name, &fits) == 0, "2 MiB on 4 MiB refused");
	CHECK(lab_attach(name, &lab) == 0, "cannot attach what fits");
	if (!failures) {
		CHECK(lab_alloc_page_exclusive(lab) != NULL, "no room");
		lab_detach(lab);
	}
	snprintf(args, sizeof(args), "info %s", name);
	cli(0, "512 rooms, 512 free", args);
	lab_destroy(name);
}

/* Output on a full tmpfs: `metrics --textfile` and `map --svg` are status
 * 1 with one line, the file at PATH is the old one whole, and no
 * temporary file is left (output.c: whole or not at all). */
static void output_on_a_full_tmpfs(void)
{
	static const char *const verbs[] = { "metrics %s --textfile %s", "map %s --svg %s" };
	struct lab_geometry fits = { 512, 1, 0 };
	char path[128], args[256], text[16] = "";
	struct dirent *de;
	FILE *f;
	DIR *d;

	CHECK(lab_create(name, &fits) == 0, "2 MiB on 4 MiB refused");
	snprintf(path, sizeof(path), LAB_SHM_DIR "/cov-out-%d", getpid());
	f = fopen(path, "w");
	CHECK(f && fputs("old\n", f) >= 0 && !fclose(f), "no old file");
	/* fill what is left */
	snprintf(args, sizeof(args), "dd if=/dev/zero of=" LAB_SHM_DIR "/cov-fill bs=4k "
		 "2>/dev/null; true");
	CHECK(system(args) == 0, "dd");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char fmt[128];

		snprintf(fmt, sizeof(fmt), verbs[i], name, path);
		cli(1, "No space left", fmt);
		CHECK(!strchr(out, '\n') || !strchr(strchr(out, '\n') + 1, '\n'), "%s", out);
		f = fopen(path, "r");
		CHECK(f && fgets(text, sizeof(text), f) && !strcmp(text, "old\n"),
		      "%s: the old file is not whole", fmt);
		if (f)
			fclose(f);
	}
	d = opendir(LAB_SHM_DIR);
	while (d && (de = readdir(d)))
		CHECK(!strstr(de->d_name, ".tmp"), "left behind: %s", de->d_name);
	if (d)
		closedir(d);
	unlink(LAB_SHM_DIR "/cov-fill");
	unlink(path);
	lab_destroy(name);
}

Test(capacity, a_labyrinth_bigger_than_its_tmpfs, .timeout = 60)
{
	pid_t pid;
	int status;

	if (geteuid())
		cr_skip_test("mounting a tmpfs needs root");
	nb_name(name, sizeof(name), "small");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		if (small_shm())
			_exit(SKIP);
		too_big_to_create();
		sparse_is_refused();
		what_fits_works();
		output_on_a_full_tmpfs();
		_exit(failures ? 1 : 0);
	}
	status = reap_status(pid, 40000);
	if (status == SKIP)
		cr_skip_test("the kernel refused a mount namespace or a tmpfs");
	cr_expect_neq(status, 128 + SIGBUS, "died of SIGBUS");
	cr_expect_eq(status, 0, "status %d (see stderr)", status);
}
