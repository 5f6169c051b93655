/* The guest kernel's own suite and the demo, run under ./vmm and QEMU. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_spawn.h"

static struct run_result r;

static void run_vmm(const char *image, const char *cpus)
{
	char *argv[] = {(char *)env_path("VMM"), "--cpus", (char *)cpus, "--timeout", "120",
			(char *)image_path(image), NULL};
	cr_assert_eq(run_cmd(argv, 150, &r), 0);
	cr_assert(!r.timed_out, "%s did not end: %s", image, r.out);
}

static void assert_suite(unsigned min_tests)
{
	unsigned tests = 0, failures = 99;
	const char *s = strstr(r.out, "SUMMARY: ");
	cr_assert(s, "no SUMMARY line; status %d\n%s\n%s", r.status, r.out, r.err);
	cr_assert_eq(sscanf(s, "SUMMARY: %u tests, %u failures", &tests, &failures), 2, "%s", s);
	cr_assert_eq(failures, 0, "%s", r.out);
	cr_assert_geq(tests, min_tests, "only %u tests ran", tests);
	cr_assert(!strstr(r.out, "FAIL:"), "%s", r.out);
}

Test(guest, suite_on_two_cpus)
{
	run_vmm("guest-tests.elf", "2");
	assert_suite(20);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.out, "SKIP:"), "labyrinth cases skipped under ./vmm: %s", r.out);
}

Test(guest, suite_on_four_cpus)
{
	run_vmm("guest-tests.elf", "4");
	assert_suite(20);
	cr_assert_eq(r.status, 0, "%s", r.err);
}

Test(guest, demo_allocates_from_interrupts_without_violations)
{
	unsigned vcpus, allocs, claimed, released, violations;
	run_vmm("labyrinth-demo.elf", "2");
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	const char *s = strstr(r.out, "labyrinth-demo: vcpus=");
	cr_assert(s, "%s", r.out);
	cr_assert_eq(sscanf(s, "labyrinth-demo: vcpus=%u irq_allocs=%u claimed=%u released=%u "
			       "violations=%u", &vcpus, &allocs, &claimed, &released, &violations),
		     5, "%s", s);
	cr_assert_eq(vcpus, 2);
	cr_assert_gt(allocs, 0);
	cr_assert_eq(violations, 0);
	cr_assert_eq(claimed, released, "the demo leaked rooms");
}

Test(guest, suite_under_qemu_skips_the_labyrinth)
{
	if (access("/usr/bin/qemu-system-x86_64", X_OK))
		cr_skip_test("qemu-system-x86_64 is not installed");
	char *argv[] = {"/usr/bin/qemu-system-x86_64", "-enable-kvm", "-nodefaults", "-display",
			"none", "-serial", "stdio", "-smp", "2", "-device",
			"isa-debug-exit,iobase=0xf4,iosize=4", "-kernel",
			(char *)image_path("guest-tests.elf"), NULL};
	cr_assert_eq(run_cmd(argv, 150, &r), 0);
	cr_assert(!r.timed_out);
	assert_suite(5);
	cr_assert_eq(r.status, 1, "QEMU status %d is not the guest's 0: %s", r.status, r.out);
	cr_assert(strstr(r.out, "SKIP:"), "labyrinth cases must SKIP under QEMU: %s", r.out);
}
