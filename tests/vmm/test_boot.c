/* End to end: images boot under ./vmm (and QEMU) and end as documented. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "exit_status.h"
#include "test_spawn.h"

#define HELLO_LINE "hello from labyrinth guest\n"

static struct run_result r;

static void boot(const char *image, const char *cpus, const char *extra, const char *value)
{
	char *argv[] = {(char *)env_path("VMM"), "--cpus", (char *)cpus, (char *)extra,
			(char *)value, (char *)image_path(image), NULL};
	if (!extra) {
		argv[3] = (char *)image_path(image);
		argv[4] = NULL;
	}
	cr_assert_eq(run_cmd(argv, 60, &r), 0);
	cr_assert(!r.timed_out, "vmm did not end; stdout: %s; stderr: %s", r.out, r.err);
}

Test(boot, hello_one_cpu)
{
	boot("hello.elf", "1", NULL, NULL);
	cr_assert_eq(r.status, 0, "status %d; stderr: %s", r.status, r.err);
	cr_assert(strstr(r.out, HELLO_LINE), "stdout: %s", r.out);
}

Test(boot, hello_four_cpus)
{
	boot("hello.elf", "4", NULL, NULL);
	cr_assert_eq(r.status, 0, "status %d; stderr: %s", r.status, r.err);
	cr_assert(strstr(r.out, HELLO_LINE), "stdout: %s", r.out);
}

Test(boot, guest_status_is_exit_status)
{
	boot("exit3.elf", "1", NULL, NULL);
	cr_assert_eq(r.status, 3, "status %d; stderr: %s", r.status, r.err);
}

Test(boot, spinning_guest_is_stopped_by_timeout)
{
	boot("spin.elf", "2", "--timeout", "2");
	cr_assert_eq(r.status, VMM_EXIT_TIMEOUT, "status %d; stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "timeout"), "stderr: %s", r.err);
	/* where it spun: main's loop, in 64-bit mode, running */
	cr_assert(strstr(r.err, "vmm: vCPU 0 was at rip 0x") && strstr(r.err, "64-bit), interrupts ") &&
		  strstr(r.err, ", running\n"), "stderr: %s", r.err);
}

Test(boot, same_image_under_qemu)
{
	const char *qemu = qemu_path();
	if (!qemu)
		cr_skip_test("qemu-system-x86_64 is not installed");
	char *argv[] = {(char *)qemu, "-enable-kvm", "-nodefaults", "-display", "none",
			"-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
			"-kernel", (char *)image_path("hello.elf"), NULL};
	cr_assert_eq(run_cmd(argv, 60, &r), 0);
	cr_assert(!r.timed_out, "qemu did not end");
	cr_assert(strstr(r.out, HELLO_LINE), "stdout: %s; stderr: %s", r.out, r.err);
	cr_assert_eq(r.status, 1, "QEMU exits (0 << 1) | 1 for a guest status 0; got %d", r.status);
}
