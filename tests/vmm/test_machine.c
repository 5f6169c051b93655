/* The minimal PC end to end: our own small kernels for each piece (an ELF32
 * Multiboot kernel reading fw_cfg, the ACPI walk, the reset paths, the
 * CPUID features) under ./vmm, and the same images under QEMU's -kernel,
 * which must say the same (skipped only where QEMU is absent). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "exit_status.h"
#include "test_spawn.h"

#define MAX_ARGS 32

static struct run_result r;

/* Runs `prefix` then `args` (NULL-terminated); the run must end in time. */
static void run(const char *const *prefix, const char *const *args)
{
	char *argv[MAX_ARGS];
	unsigned n = 0;

	for (; *prefix; prefix++)
		argv[n++] = (char *)*prefix;
	for (; *args; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	cr_assert_eq(run_cmd(argv, 90, &r), 0);
	cr_assert(!r.timed_out, "%s did not end; stdout: %s; stderr: %s", argv[0], r.out, r.err);
}

static void vmm(const char *const *args)
{
	const char *prefix[] = {env_path("VMM"), NULL};
	run(prefix, args);
}

/* QEMU as a harness written for it runs a test kernel. */
static void qemu(const char *const *args)
{
	const char *path = qemu_path();
	if (!path)
		cr_skip_test("qemu-system-x86_64 is not installed");
	const char *prefix[] = {path, "-enable-kvm", "-nodefaults", "-display", "none",
				"-serial", "stdio", "-device",
				"isa-debug-exit,iobase=0xf4,iosize=4", NULL};
	run(prefix, args);
}

static void assert_status(int want)
{
	cr_assert_eq(r.status, want, "status %d, want %d; stdout: %s; stderr: %s",
		     r.status, want, r.out, r.err);
}

static void assert_out(const char *line)
{
	cr_assert(strstr(r.out, line), "stdout lacks '%s': %s", line, r.out);
}

static void assert_no_failure(void)
{
	cr_assert(!strstr(r.out, "FAIL"), "stdout: %s", r.out);
}

/* Deletes the first line starting with `prefix` from `s`, in place. */
static void drop_line(char *s, const char *prefix)
{
	char *at = strstr(s, prefix);
	if (!at || (at != s && at[-1] != '\n'))
		return;
	char *next = strchr(at, '\n');
	memmove(at, next ? next + 1 : at + strlen(at), strlen(next ? next + 1 : "") + 1);
}

Test(machine, elf32_multiboot_sees_its_path_args_and_fw_cfg)
{
	char line[512];
	const char *img = image_path("mbinfo32.elf");

	vmm((const char *[]){"--cpus", "2", "--mem", "128M", "--cmdline", "a b=c", img, NULL});
	assert_status(0);
	snprintf(line, sizeof(line), "multiboot cmdline: '%s a b=c'\n", img);
	assert_out(line);
	assert_out("fw_cfg: cpus 2\n");
	assert_out("fw_cfg: ram 128 MiB\n");
	assert_out("fw_cfg: cmdline 'a b=c'\n");
	assert_out("fw_cfg: etc/e820 (DMA) RAM top 0x8000000\n");
}

Test(machine, empty_cmdline_is_the_path_and_a_space_as_in_qemu)
{
	char line[512];
	const char *img = image_path("mbinfo32.elf");

	vmm((const char *[]){img, NULL});
	assert_status(0);
	snprintf(line, sizeof(line), "multiboot cmdline: '%s '\n", img);
	assert_out(line);
	assert_out("fw_cfg: cpus 1\n");
	assert_out("fw_cfg: ram 256 MiB\n");
}

/* QEMU fills fw_cfg's command line for Linux and PVH boots only: apart from
 * that line, ours, the output is the same. */
Test(machine, elf32_multiboot_same_under_qemu)
{
	static char ours[sizeof(r.out)];
	const char *img = image_path("mbinfo32.elf");

	vmm((const char *[]){"--cpus", "2", "--mem", "128M", "--cmdline", "a b=c", img, NULL});
	assert_status(0);
	strcpy(ours, r.out);
	drop_line(ours, "fw_cfg: cmdline ");
	qemu((const char *[]){"-smp", "2", "-m", "128M", "-append", "a b=c", "-kernel", img, NULL});
	assert_status(1);
	cr_assert_str_eq(r.out, ours, "QEMU said:\n%s\nwe said:\n%s", r.out, ours);
}

static const char *const acpi_checks[] = {
	"PASS: RSDP found in the BIOS area, checksum\n",
	"PASS: RSDT checksum\n",
	"PASS: every table the RSDT lists checksums to zero\n",
	"PASS: FADT listed\n",
	"PASS: FADT -> FACS: signature, length, 64-byte alignment\n",
	"PASS: FADT -> DSDT: signature and checksum\n",
	"PASS: MADT lists as many enabled CPUs as fw_cfg counts\n",
	NULL,
};

Test(machine, acpi_tables_walk)
{
	vmm((const char *[]){"--cpus", "2", image_path("acpi-tables.elf"), NULL});
	assert_status(0);
	assert_no_failure();
	for (unsigned i = 0; acpi_checks[i]; i++)
		assert_out(acpi_checks[i]);
	assert_out("PASS: XSDT checksum, and it lists the RSDT's tables\n");
	assert_out("PASS: DSDT describes the hypercall port: I/O 0x500 (4), one IRQ, the room "
		   "window INFO names (0x100000000, 67108864 bytes)\n");
}

Test(machine, acpi_tables_walk_under_qemu)
{
	qemu((const char *[]){"-smp", "2", "-kernel", image_path("acpi-tables.elf"), NULL});
	assert_status(1);
	assert_no_failure();
	for (unsigned i = 0; acpi_checks[i]; i++)
		assert_out(acpi_checks[i]);
	assert_out("# DSDT: no hypercall port described\n");
}

static const char *const reset_paths[][2] = {
	{"reset=92", "port 0x92 bit 0"},
	{"reset=cf9", "port 0xcf9 bit 2"},
	{"reset=kbd", "keyboard controller 0x64 <- 0xfe"},
};

Test(machine, each_reset_path_ends_the_vm_with_status_77)
{
	for (unsigned i = 0; i < 3; i++) {
		vmm((const char *[]){"--cmdline", reset_paths[i][0], image_path("reset.elf"), NULL});
		assert_status(VMM_EXIT_RESET);
		assert_no_failure();
		cr_assert(strstr(r.err, "guest reset the machine") && strstr(r.err, reset_paths[i][1]),
			  "stderr: %s", r.err);
		cr_assert_eq(count_lines(r.err), 1, "stderr: %s", r.err);
	}
}

/* QEMU resets too: with -no-reboot it then exits 0. */
Test(machine, each_reset_path_resets_under_qemu)
{
	for (unsigned i = 0; i < 3; i++) {
		qemu((const char *[]){"-no-reboot", "-append", reset_paths[i][0],
				      "-kernel", image_path("reset.elf"), NULL});
		assert_status(0);
		assert_out("resetting through");
		assert_no_failure();
	}
}

Test(machine, advertised_cpu_features_work)
{
	vmm((const char *[]){image_path("cpu-features.elf"), NULL});
	assert_status(0);
	assert_no_failure();
	assert_out("SKIP: cx16: not advertised\n");
	assert_out("PASS: kvmclock: advertised and works\n");
}

/* QEMU's default model advertises cmpxchg16b, which this host cannot run in
 * kernel mode (the VM would stop, paused); without it the image passes. */
Test(machine, advertised_cpu_features_work_under_qemu_without_cx16)
{
	qemu((const char *[]){"-cpu", "qemu64,-cx16", "-kernel", image_path("cpu-features.elf"),
			      NULL});
	assert_status(1);
	assert_no_failure();
}

Test(machine, exit_compat_qemu_shifts_the_status)
{
	vmm((const char *[]){"--exit-compat", "qemu", image_path("exit3.elf"), NULL});
	assert_status((3 << 1) | 1);
	vmm((const char *[]){"--exit-compat", "qemu", image_path("hello.elf"), NULL});
	assert_status(1);
	vmm((const char *[]){"--exit-compat", "vmm", image_path("exit3.elf"), NULL});
	assert_status(3);
}

Test(machine, trace_ports_lists_what_the_kernel_looked_for)
{
	/* The kvmclock check writes port 0x80 once to take an exit. */
	vmm((const char *[]){"--trace-ports", image_path("cpu-features.elf"), NULL});
	assert_status(0);
	cr_assert(strstr(r.err, "vmm: unhandled port 0x0080: 0 reads, 1 writes\n"),
		  "stderr: %s", r.err);
	cr_assert(strstr(r.err, "unhandled port accesses to 1 ports"), "stderr: %s", r.err);
}

/* Where no device is, reads give all ones and each address is counted, up
 * to a table's worth; a guest spreading its probes gets one line for the
 * rest, not a line (or memory) per address. */
Test(machine, trace_ports_lists_unhandled_mmio)
{
	vmm((const char *[]){"--trace-ports", "--cmdline", "mode=mmio-probe",
			     image_path("vmm-hostile.elf"), NULL});
	assert_status(0);
	assert_out("mmio-probe: read 0xffffffff at 0xfed00000, all ones at 100 of 100 more");
	cr_assert(strstr(r.err, "vmm: unhandled mmio 0xfed00000: 1 reads, 0 writes\n") &&
		  strstr(r.err, "vmm: unhandled mmio 0xfed00010: 0 reads, 1 writes\n"),
		  "stderr: %s", r.err);
	cr_assert(strstr(r.err, "vmm: unhandled mmio elsewhere: 38 reads, 0 writes\n"),
		  "stderr: %s", r.err);
	cr_assert(strstr(r.err, "vmm: 102 unhandled mmio accesses\n"), "stderr: %s", r.err);
}

/* One fw_cfg DMA access skipping 4 GiB - 1 bytes of an item nobody has:
 * the guest chose the length, the monitor must not pay for it byte by byte
 * (it held the vCPU's thread ~30 s here, so --timeout 2 could not join it:
 * "did not stop in time", rooms left to the reaper). */
Test(machine, fw_cfg_dma_skip_of_4_gib_takes_no_time)
{
	vmm((const char *[]){"--timeout", "2", "--cmdline", "mode=dma-skip",
			     image_path("vmm-hostile.elf"), NULL});
	assert_status(0);
	assert_out("dma-skip: control 0x0");
	cr_assert(!strstr(r.err, "did not stop"), "stderr: %s", r.err);
}
