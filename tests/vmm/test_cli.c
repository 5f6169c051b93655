/* The monitor's answer to bad input: one line on stderr, a documented
 * status below 128, never a crash or a hang. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_status.h"
#include "labyrinth_host.h"
#include "test_spawn.h"

static struct run_result r;

static void vmm(int expect, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)env_path("VMM"), (char *)a1, (char *)a2, (char *)a3, NULL};
	cr_assert_eq(run_cmd(argv, 20, &r), 0);
	cr_assert(!r.timed_out, "vmm hung");
	cr_assert_eq(r.status, expect, "status %d, want %d; stderr: %s", r.status, expect, r.err);
	if (expect != 0)
		cr_assert_eq(count_lines(r.err), 1, "want one line on stderr, got: %s", r.err);
}

Test(cli, help_and_version)
{
	vmm(0, "--help", NULL, NULL);
	cr_assert(strstr(r.out, "usage: vmm"));
	cr_assert(strstr(r.out, "72   --timeout expired"), "--help must document statuses");
	vmm(0, "--version", NULL, NULL);
	cr_assert(strstr(r.out, "vmm (labyrinth)"));
}

Test(cli, bad_options)
{
	const char *img = "/nonexistent.elf";
	vmm(VMM_EXIT_USAGE, NULL, NULL, NULL);
	vmm(VMM_EXIT_USAGE, "--cpus", "0", img);
	vmm(VMM_EXIT_USAGE, "--cpus", "65", img);
	vmm(VMM_EXIT_USAGE, "--cpus", "two", img);
	vmm(VMM_EXIT_USAGE, "--mem", "1K", img);
	vmm(VMM_EXIT_USAGE, "--mem", "64X", img);
	vmm(VMM_EXIT_USAGE, "--mem", "8G", img);
	vmm(VMM_EXIT_USAGE, "--timeout", "-1", img);
	vmm(VMM_EXIT_USAGE, "--timeout", "soon", img);
	vmm(VMM_EXIT_USAGE, "--frobnicate", img, NULL);
	vmm(VMM_EXIT_USAGE, img, img, NULL);
	vmm(VMM_EXIT_USAGE, "--cpus", NULL, NULL);
}

/* A bad letter in a bundle of short options is the one named (the line
 * once named another argument, or the monitor itself), and what an error
 * quotes stays one line, a newline or a terminal escape shown as \xHH. */
Test(cli, bad_input_is_named_on_one_line)
{
	const char *img = "/nonexistent.elf";
	vmm(VMM_EXIT_USAGE, "-xy", img, NULL);
	cr_assert(strstr(r.err, "unknown option '-x'"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, img, "-qz", NULL);
	cr_assert(strstr(r.err, "unknown option '-q'"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, "--cpus", "1\n2", img);
	cr_assert(strstr(r.err, "'1\\x0a2'"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, "--exit-compat", "\033[31mqemu", img);
	cr_assert_null(strchr(r.err, '\033'), "an escape reached the terminal: %s", r.err);
}

Test(cli, missing_image)
{
	vmm(VMM_EXIT_NO_IMAGE, "/nonexistent/image.elf", NULL, NULL);
	cr_assert(strstr(r.err, "/nonexistent/image.elf"));
}

Test(cli, not_elf)
{
	vmm(VMM_EXIT_BAD_IMAGE, "/etc/passwd", NULL, NULL);
	cr_assert(strstr(r.err, "not an ELF"));
}

Test(cli, directory_and_device)
{
	vmm(VMM_EXIT_BAD_IMAGE, "/", NULL, NULL);
	vmm(VMM_EXIT_BAD_IMAGE, "/dev/zero", NULL, NULL);
}

/* A FIFO named as the image: open() waited for a writer that never came,
 * and the monitor hung before its first line. */
Test(cli, fifo_is_refused_without_waiting_for_a_writer)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/test-cli-fifo-%d", getpid());
	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	char *argv[] = {(char *)env_path("VMM"), path, NULL};
	int rc = run_cmd(argv, 10, &r);
	unlink(path);
	cr_assert_eq(rc, 0);
	cr_assert(!r.timed_out, "vmm hung on a FIFO");
	cr_assert_eq(r.status, VMM_EXIT_BAD_IMAGE, "status %d; stderr: %s", r.status, r.err);
	cr_assert_eq(count_lines(r.err), 1, "want one line on stderr, got: %s", r.err);
	cr_assert(strstr(r.err, "not a regular file"), "stderr: %s", r.err);
}

Test(cli, host_executable_is_wrong_type)
{
	vmm(VMM_EXIT_BAD_IMAGE, "/bin/sh", NULL, NULL);
}

static uint8_t buf[1 << 20];

/* Reads up to `max` bytes of `from` into buf; returns how many. */
static size_t read_prefix(const char *from, size_t max)
{
	int in = open(from, O_RDONLY);
	cr_assert(in >= 0, "cannot read %s", from);
	ssize_t n = read(in, buf, max < sizeof(buf) ? max : sizeof(buf));
	close(in);
	cr_assert(n > 0);
	return (size_t)n;
}

static void write_file(const char *to, size_t n)
{
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(out >= 0);
	cr_assert_eq(write(out, buf, n), (ssize_t)n);
	close(out);
}

static void truncated_copy(const char *from, const char *to, size_t keep)
{
	write_file(to, read_prefix(from, keep));
}

Test(cli, truncated_hello)
{
	char path[] = "/tmp/labyrinth-truncated-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	const size_t cuts[] = {10, 63, 100, 300};
	for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		truncated_copy(image_path("hello.elf"), path, cuts[i]);
		vmm(VMM_EXIT_BAD_IMAGE, path, NULL, NULL);
	}
	unlink(path);
}

/* hello.elf with its first segment grown to 64 MiB of bss. */
static void write_big_image(const char *to)
{
	size_t n = read_prefix(image_path("hello.elf"), sizeof(buf));
	cr_assert(n > sizeof(Elf64_Ehdr));
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff);
	unsigned i = 0;
	while (i < eh->e_phnum && ph[i].p_type != PT_LOAD)
		i++;
	cr_assert(i < eh->e_phnum, "hello.elf has no PT_LOAD");
	ph[i].p_memsz += 64u << 20;
	write_file(to, n);
}

Test(cli, image_larger_than_mem)
{
	char path[] = "/tmp/labyrinth-big-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	write_big_image(path);
	vmm(VMM_EXIT_BAD_IMAGE, "--mem", "16M", path);
	unlink(path);
	cr_assert(strstr(r.err, "outside guest RAM"), "%s", r.err);
}

/* An initramfs missing (66), empty or larger than the RAM above the
 * kernel (65): one line naming it, before any VM is made. */
Test(cli, bad_initramfs)
{
	char path[] = "/tmp/labyrinth-initrd-XXXXXX";
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	vmm(VMM_EXIT_NO_IMAGE, "--initrd", "/nonexistent/initrd", image_path("hello.elf"));
	cr_assert(strstr(r.err, "cannot open initramfs /nonexistent/initrd"), "%s", r.err);
	vmm(VMM_EXIT_BAD_IMAGE, "--initrd", path, image_path("hello.elf"));
	cr_assert(strstr(r.err, "empty"), "%s", r.err);
	cr_assert_eq(ftruncate(fd, 257u << 20), 0);	/* past the default 256M */
	close(fd);
	vmm(VMM_EXIT_BAD_IMAGE, "--initrd", path, image_path("hello.elf"));
	cr_assert(strstr(r.err, "does not fit in RAM above the kernel"), "%s", r.err);
	unlink(path);
}

/* The child of the test below, as nobody: 0 if the monitor said what to
 * ask for in one line with status 73, 77 if there is nothing to test
 * (this system lets nobody have a userfaultfd, or nobody cannot run the
 * monitor from where it was built), 1 otherwise. */
static int run_as_nobody(const char *img)
{
	char *argv[] = {(char *)env_path("VMM"), "--timeout", "5", (char *)img, NULL};
	char flag = '0';
	int fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &flag, 1) != 1)
			flag = '0';
		close(fd);
	}
	if (setgid(65534) || setuid(65534))
		return 1;
	/* In a coverage build, libgcov would complain on stderr that nobody
	 * cannot write the build's counters: let it write them elsewhere. */
	setenv("GCOV_PREFIX", "/tmp/labyrinth-gcov-nobody", 1);
	if (flag != '0' || !access("/dev/userfaultfd", R_OK | W_OK))
		return 77;
	if (run_cmd(argv, 20, &r) || r.timed_out)
		return 1;
	if (r.status == 126 || r.status == 127)
		return 77;	/* the build is out of nobody's reach */
	fprintf(stderr, "status %d: %s", r.status, r.err);
	return r.status == VMM_EXIT_HOST && count_lines(r.err) == 1 &&
	       strstr(r.err, "access to /dev/userfaultfd") ? 0 : 1;
}

/* A user other than root, where the system gives it no userfaultfd (this
 * host's default: vm.unprivileged_userfaultfd=0, /dev/userfaultfd 0600):
 * one line saying what an administrator can grant, status 73. */
Test(cli, a_user_without_userfaultfd_is_told_what_to_ask_for)
{
	char img[] = "/tmp/labyrinth-nobody-XXXXXX";
	int fd, st;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("needs root to become nobody");
	fd = mkstemp(img);
	cr_assert(fd >= 0);
	close(fd);
	write_file(img, read_prefix(image_path("hello.elf"), sizeof(buf)));
	cr_assert_eq(chmod(img, 0644), 0);
	pid = fork();
	if (pid == 0)
		_exit(run_as_nobody(img));
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	unlink(img);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		cr_skip_test("nothing to test: nobody may have a userfaultfd here, or cannot run the build");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "see the monitor's line above");
}

/* Every lease of a shared labyrinth taken: the monitor's one line says
 * so, status 76, and the labyrinth is as it was (no lease, no room). */
Test(cli, every_lease_taken)
{
	struct lab_geometry geo = {.rooms = 1024, .corridors = 1, .reserve = 0};
	struct labyrinth *held[LAB_MAX_GUESTS];
	static struct lab_lease_info infos[LAB_MAX_GUESTS];
	struct lab_census c;
	char name[64];

	snprintf(name, sizeof(name), "test-vmm-cli-full-%d", getpid());
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++)
		cr_assert_eq(lab_attach(name, &held[i]), 0, "lease %u", i);
	vmm(VMM_EXIT_LABYRINTH, "--labyrinth", name, image_path("hello.elf"));
	cr_expect(strstr(r.err, "every lease slot is taken"), "%s", r.err);
	lab_census(held[0], &c);
	cr_expect_eq(c.free, 1024, "rooms taken by a monitor refused a lease");
	cr_expect_eq(lab_leases(held[0], infos, LAB_MAX_GUESTS), LAB_MAX_GUESTS);
	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++)
		lab_detach(held[i]);
	lab_destroy(name);
}

Test(cli, unknown_labyrinth)
{
	vmm(VMM_EXIT_LABYRINTH, "--labyrinth", "no-such-labyrinth-here", image_path("hello.elf"));
	cr_assert(strstr(r.err, "no-such-labyrinth-here"), "%s", r.err);
}

Test(cli, bad_labyrinth_options)
{
	const char *img = image_path("hello.elf");
	vmm(VMM_EXIT_USAGE, "--rooms", "100", img);
	vmm(VMM_EXIT_USAGE, "--rooms", "lots", img);
	vmm(VMM_EXIT_USAGE, "--labyrinth", "a/b", img);
	vmm(VMM_EXIT_USAGE, "--labyrinth", "", img);
	/* names `labyrinth create` refuses are bad command lines too */
	vmm(VMM_EXIT_USAGE, "--labyrinth", "..", img);
	vmm(VMM_EXIT_USAGE, "--labyrinth", "a b", img);
	vmm(VMM_EXIT_USAGE, "--labyrinth", ".hidden", img);
	vmm(VMM_EXIT_USAGE, "--labyrinth",
	    "a1234567890123456789012345678901234567890123456789012345678901234", img);
	/* a guarantee a private labyrinth cannot give: no max was given */
	vmm(VMM_EXIT_LABYRINTH, "--rooms=512", "--min-rooms=600", img);
	cr_assert_null(strstr(r.err, "4294967295"), "%s", r.err);
}

/* The limits and the private labyrinth's size: each refusal is 64 and one
 * line naming what was wrong, before anything is made or attached. */
Test(cli, bad_limits_and_sizes)
{
	static char cmdline[600];
	const char *img = image_path("hello.elf");

	vmm(VMM_EXIT_USAGE, "--max-rooms", "0", img);
	cr_assert(strstr(r.err, "--max-rooms wants a number from 1"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, "--max-rooms", "67108865", img);
	vmm(VMM_EXIT_USAGE, "--max-rooms", "ten", img);
	vmm(VMM_EXIT_USAGE, "--min-rooms", "-1", img);
	cr_assert(strstr(r.err, "--min-rooms wants a number from 0"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, "--min-rooms", "0x10", img);
	vmm(VMM_EXIT_USAGE, "--max-rooms=10", "--min-rooms=20", img);
	cr_assert(strstr(r.err, "--min-rooms is above --max-rooms"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, "--rooms=512", "--labyrinth=cov-any", img);
	cr_assert(strstr(r.err, "not with --labyrinth"), "%s", r.err);
	/* --cmdline's own limit, whatever the boot protocol (README: 511 bytes) */
	memset(cmdline, 'x', sizeof(cmdline) - 1);
	vmm(VMM_EXIT_USAGE, "--cmdline", cmdline, img);
	cr_assert(strstr(r.err, "--cmdline is too long"), "%s", r.err);
	cr_assert_lt(strlen(r.err), 120, "the line quotes all of it: %s", r.err);
}

Test(cli, bad_exit_compat)
{
	vmm(VMM_EXIT_USAGE, "--exit-compat", "bochs", image_path("hello.elf"));
	cr_assert(strstr(r.err, "--exit-compat"), "%s", r.err);
	vmm(VMM_EXIT_USAGE, "--exit-compat", NULL, NULL);
}

/* mbinfo32.elf with its Multiboot magic broken: an ELF32 nothing says how to enter. */
Test(cli, elf32_without_multiboot_header)
{
	char path[] = "/tmp/labyrinth-elf32-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	size_t n = read_prefix(image_path("mbinfo32.elf"), sizeof(buf));
	for (size_t off = 0; off + 4 <= n && off < 8192; off += 4)
		if (!memcmp(buf + off, "\x02\xb0\xad\x1b", 4))
			buf[off] = 0;
	write_file(path, n);
	vmm(VMM_EXIT_BAD_IMAGE, path, NULL, NULL);
	unlink(path);
	cr_assert(strstr(r.err, "32-bit ELF without a Multiboot header"), "%s", r.err);
}

/* The Multiboot command line is "IMAGE-PATH CMDLINE" in one page: a path
 * made long with "./" steps and a long --cmdline do not fit. */
Test(cli, multiboot_command_line_too_long)
{
	static char path[4000], cmdline[500];
	size_t at = 0;
	at += (size_t)snprintf(path, sizeof(path), "%s/", getenv("IMAGES"));
	while (at + 2 + 16 < sizeof(path))
		at += (size_t)snprintf(path + at, sizeof(path) - at, "./");
	snprintf(path + at, sizeof(path) - at, "hello.elf");
	memset(cmdline, 'x', sizeof(cmdline) - 1);
	vmm(VMM_EXIT_USAGE, "--cmdline", cmdline, path);
	cr_assert(strstr(r.err, "Multiboot command line"), "%s", r.err);
}
