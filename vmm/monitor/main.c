/* ./vmm IMAGE: parse the command line, load the image, run the VM, and exit
 * with the guest's status or the monitor's documented one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <unistd.h>

#include "version.h"
#include "acpi.h"
#include "boot_info.h"
#include "debug_exit.h"
#include "exit_status.h"
#include "fw_cfg.h"
#include "labyrinth_device.h"
#include "labyrinth_host.h"
#include "boot_layout.h"
#include "linux_load.h"
#include "parse.h"
#include "mmio.h"
#include "pvpanic.h"
#include "power_off.h"
#include "reset.h"
#include "rtc.h"
#include "shown.h"
#include "uart.h"
#include "vm.h"

#define DEFAULT_MEM (256ull << 20)
#define IMAGE_MAX (1ull << 30)

struct config {
	const char *image;
	unsigned cpus;
	uint64_t mem;
	double timeout_s;
	const char *cmdline;
	const char *initrd;		/* --initrd: NULL, none */
	const char *labyrinth;		/* NULL: a private one */
	uint32_t rooms;
	struct lab_limits limits;	/* --max-rooms, --min-rooms */
	bool hc_stats;
	bool qemu_exit;			/* --exit-compat qemu */
	bool trace_ports;
};

static const char usage_text[] =
"usage: vmm [options] IMAGE\n"
"Boot a kernel IMAGE on KVM, as QEMU's -kernel would: a Linux bzImage (the\n"
"boot protocol's 64-bit entry), an ELF with a PVH note, a Multiboot v1\n"
"kernel (ELF32, ELF64 or a.out kludge; its command line is\n"
"\"IMAGE CMDLINE\"), or a plain 64-bit ELF entered in long mode. COM1 (0x3f8)\n"
"goes to stdout; a write of V to port 0xf4 ends the VM and V becomes the exit\n"
"status. The guest also finds fw_cfg (0x510), ACPI, the RTC/CMOS and the PIT.\n"
"\n"
"options:\n"
"  --cpus N          vCPUs, 1..64 (default 1); APs wait for INIT/SIPI\n"
"  --mem SIZE        guest RAM, e.g. 256M, 1G (default 256M; 4M..3G)\n"
"  --timeout SECS    stop the guest after SECS seconds (fractions allowed)\n"
"  --cmdline STRING  command line passed to the guest (at most 511 bytes)\n"
"  --initrd FILE     an initramfs for a Linux bzImage or a PVH kernel\n"
"  --labyrinth NAME  claim rooms from the shared labyrinth NAME (made by\n"
"                    `labyrinth create`); default: a private one\n"
"  --rooms N         rooms of the private labyrinth (default 16384 = 64 MiB)\n"
"  --max-rooms N     this guest never holds more than N rooms (claims past it\n"
"                    are cut short, or refused with EDQUOT)\n"
"  --min-rooms N     N rooms stay claimable by this guest whatever the others\n"
"                    do (all guarantees together: at most rooms - reserve)\n"
"  --hc-stats        print hypercall handling times as BENCH lines at exit\n"
"  --exit-compat qemu  report a port-0xf4 write of V as (V << 1) | 1, as QEMU's\n"
"                    isa-debug-exit does (default: vmm, V unshifted)\n"
"  --trace-ports     list the I/O ports and MMIO addresses nobody handled (read\n"
"                    as all ones) at exit\n"
"  --help, --version\n"
"\n"
"exit status:\n"
"  V    the guest wrote V to port 0xf4 (guests use 0..63); with\n"
"       --exit-compat qemu: (V << 1) | 1, as QEMU\n"
"  64   bad command line\n"
"  65   bad image (not ELF, truncated, wrong class/machine, outside RAM)\n"
"  66   image file missing or unreadable\n"
"  70   guest shutdown or triple fault\n"
"  71   KVM internal error, emulation failure or failed entry\n"
"  72   --timeout expired\n"
"  73   host error (no /dev/kvm, out of memory)\n"
"  74   guest touched a room-window address it holds no room at\n"
"  75   guest panicked: through the hypercall port (e.g. the labyrinth has no\n"
"       exit), or its kernel through the pvpanic device (Linux: pvpanic-mmio)\n"
"  76   cannot create or attach the labyrinth, or its file was cut short\n"
"  77   guest reset the machine (port 0x92, port 0xcf9 or 0x64 <- 0xfe)\n"
"  128+N stopped by signal N (SIGINT, SIGTERM, SIGHUP): rooms are returned first\n";

/* One line whatever @arg holds: it is as typed, so the line goes through
 * shown_print() (a newline or a terminal's escape shows as \xHH). */
static int usage_error(const char *fmt, const char *arg)
{
	char *text = NULL;

	if (asprintf(&text, fmt, arg) < 0)
		text = NULL;
	fputs("vmm: ", stderr);
	shown_print(stderr, text ? text : fmt);
	fputs(" (try --help)\n", stderr);
	free(text);
	return VMM_EXIT_USAGE;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	enum { OPT_CPUS = 256, OPT_MEM, OPT_TIMEOUT, OPT_CMDLINE, OPT_HELP, OPT_VERSION,
	       OPT_LABYRINTH, OPT_ROOMS, OPT_MAX_ROOMS, OPT_MIN_ROOMS, OPT_HC_STATS, OPT_EXIT_COMPAT, OPT_TRACE_PORTS,
	       OPT_INITRD };
	static const struct option longopts[] = {
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"mem", required_argument, NULL, OPT_MEM},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"cmdline", required_argument, NULL, OPT_CMDLINE},
		{"initrd", required_argument, NULL, OPT_INITRD},
		{"labyrinth", required_argument, NULL, OPT_LABYRINTH},
		{"rooms", required_argument, NULL, OPT_ROOMS},
		{"max-rooms", required_argument, NULL, OPT_MAX_ROOMS},
		{"min-rooms", required_argument, NULL, OPT_MIN_ROOMS},
		{"hc-stats", no_argument, NULL, OPT_HC_STATS},
		{"exit-compat", required_argument, NULL, OPT_EXIT_COMPAT},
		{"trace-ports", no_argument, NULL, OPT_TRACE_PORTS},
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{0},
	};
	uint64_t v;
	int opt;

	opterr = 0;
	optopt = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_CPUS:
			if (parse_uint(optarg, 1, VMM_MAX_CPUS, &v))
				return usage_error("--cpus wants a number from 1 to 64, not '%s'", optarg);
			cfg->cpus = (unsigned)v;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &v) || v < LAYOUT_MEM_MIN || v > LAYOUT_MEM_MAX ||
			    v % GUEST_PAGE)
				return usage_error("--mem wants a size from 4M to 3G in whole pages, not '%s'", optarg);
			cfg->mem = v;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &cfg->timeout_s))
				return usage_error("--timeout wants seconds (0 < SECS <= 86400), not '%s'", optarg);
			break;
		case OPT_CMDLINE:
			if (strlen(optarg) >= LAYOUT_CMDLINE_MAX)
				return usage_error("--cmdline is too long: '%.40s...'", optarg);
			cfg->cmdline = optarg;
			break;
		case OPT_INITRD:
			cfg->initrd = optarg;
			break;
		case OPT_LABYRINTH:
			/* a name no labyrinth can have is a bad command line
			 * (64), not a labyrinth that cannot be attached (76) */
			if (!lab_name_valid(optarg))
				return usage_error("--labyrinth wants a NAME of 1-64 of [A-Za-z0-9._-], "
						   "not starting with '.', not '%s'", optarg);
			cfg->labyrinth = optarg;
			break;
		case OPT_ROOMS:
			if (parse_uint(optarg, LAB_DISTRICT_ROOMS, LAB_MAX_ROOMS, &v))
				return usage_error("--rooms wants a number from 512 to 67108864, not '%s'", optarg);
			cfg->rooms = (uint32_t)v;
			break;
		case OPT_MAX_ROOMS:
			if (parse_uint(optarg, 1, LAB_MAX_ROOMS, &v))
				return usage_error("--max-rooms wants a number from 1 to 67108864, not '%s'", optarg);
			cfg->limits.max = (uint32_t)v;
			break;
		case OPT_MIN_ROOMS:
			if (parse_uint(optarg, 0, LAB_MAX_ROOMS, &v))
				return usage_error("--min-rooms wants a number from 0 to 67108864, not '%s'", optarg);
			cfg->limits.min = (uint32_t)v;
			break;
		case OPT_HC_STATS:
			cfg->hc_stats = true;
			break;
		case OPT_EXIT_COMPAT:
			if (strcmp(optarg, "qemu") && strcmp(optarg, "vmm"))
				return usage_error("--exit-compat wants 'qemu' or 'vmm', not '%s'", optarg);
			cfg->qemu_exit = !strcmp(optarg, "qemu");
			break;
		case OPT_TRACE_PORTS:
			cfg->trace_ports = true;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			printf("vmm (labyrinth) %s\n", LABYRINTH_VERSION);
			return 0;
		default:
			/* A bad letter inside "-xy" leaves optind on "-xy", or past
			 * a permuted IMAGE: argv[optind - 1] would name another
			 * argument (even argv[0]).  getopt says the letter; the long
			 * options' values are all 256 and up. */
			if (optopt > 0 && optopt < 256) {
				char letter[3] = { '-', (char)optopt, 0 };

				return usage_error("unknown option '%s'", letter);
			}
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (cfg->labyrinth && cfg->rooms)
		return usage_error("%s", "--rooms sizes a private labyrinth; not with --labyrinth");
	if (!cfg->rooms)
		cfg->rooms = LAB_DEFAULT_ROOMS;
	if (cfg->limits.min > cfg->limits.max)
		return usage_error("%s", "--min-rooms is above --max-rooms");
	if (optind != argc - 1)
		return usage_error("%s", optind == argc ? "no IMAGE given" : "more than one IMAGE given");
	cfg->image = argv[optind];
	return -1;
}

/* Reads the whole image; returns 0 or an exit status after one line on stderr.
 * O_NONBLOCK: a FIFO (or a device that waits) named as the image would hold
 * the open() until a writer came, maybe never; this way it opens at once
 * and fstat refuses it. A regular file reads the same either way. */
static int read_image(const char *what, const char *path, uint8_t **buf, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		fprintf(stderr, "vmm: cannot open %s %s: %s\n", what, path, strerror(errno));
		return VMM_EXIT_NO_IMAGE;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > IMAGE_MAX) {
		fprintf(stderr, "vmm: bad %s %s: not a regular file of at most 1 GiB\n", what, path);
		close(fd);
		return VMM_EXIT_BAD_IMAGE;
	}
	*size = (size_t)st.st_size;
	*buf = malloc(*size ? *size : 1);
	size_t got = 0;
	while (*buf && got < *size) {
		ssize_t n = read(fd, *buf + got, *size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!*buf || got != *size) {
		fprintf(stderr, "vmm: cannot read %s %s\n", what, path);
		return VMM_EXIT_NO_IMAGE;
	}
	return 0;
}

static int load_image(struct vm *vm, const struct config *cfg)
{
	uint8_t *buf = NULL;
	size_t size = 0;
	const char *why = NULL;
	int rc = read_image("image", cfg->image, &buf, &size);

	if (rc == 0 && image_load(buf, size, vm->ram, vm->ram_size, &vm->image, &why)) {
		fprintf(stderr, "vmm: bad image %s: %s\n", cfg->image, why);
		rc = VMM_EXIT_BAD_IMAGE;
	}
	free(buf);
	return rc;
}

/* The initramfs at the top of RAM, page-aligned, below what the kernel
 * can reach (Linux's initrd_addr_max; 4 GiB for PVH), above the kernel. */
static int load_initrd(struct vm *vm, const char *path)
{
	uint8_t *buf = NULL;
	size_t size = 0;
	int rc = read_image("initramfs", path, &buf, &size);
	uint64_t top = vm->ram_size;

	if (rc)
		return rc;
	if (vm->image.protocol == BOOT_LINUX && linux_initrd_limit(vm->ram) < top)
		top = linux_initrd_limit(vm->ram);
	uint64_t at = (top - size) & ~(GUEST_PAGE - 1);
	if (size >= top || at < vm->image.high || !size) {
		fprintf(stderr, "vmm: bad initramfs %s: %s\n", path, size ? "it does not fit "
			"in RAM above the kernel (a larger --mem?)" : "empty");
		free(buf);
		return VMM_EXIT_BAD_IMAGE;
	}
	memcpy(vm->ram + at, buf, size);
	vm->image.initrd = at;
	vm->image.initrd_size = size;
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg = {.limits = {.max = LAB_UNLIMITED}, .cpus = 1, .mem = DEFAULT_MEM, .cmdline = ""};
	static struct vm vm;
	int rc = parse_args(argc, argv, &cfg);

	if (rc >= 0)
		return rc;
	if (vm_alloc_ram(&vm, cfg.mem))
		return VMM_EXIT_HOST;
	rc = load_image(&vm, &cfg);
	if (rc == 0 && cfg.initrd)
		rc = load_initrd(&vm, cfg.initrd);
	if (rc)
		return rc;

	/* The port's ACPI description names the window: attached first. */
	rc = labdev_attach(&vm, cfg.labyrinth, cfg.rooms, &cfg.limits);
	if (rc)
		return rc;
	if (pvpanic_init(&vm)) {
		labdev_fini(&vm);
		return VMM_EXIT_HOST;
	}
	uint64_t rsdp = acpi_build(vm.ram, LAYOUT_ACPI, cfg.cpus);
	if (boot_info_build(vm.ram, vm.ram_size, rsdp, cfg.image, cfg.cmdline, &vm.image)) {
		fprintf(stderr, "vmm: image path and --cmdline together exceed the %d bytes "
			"of the Multiboot command line\n", LAYOUT_MB_CMDLINE_MAX - 1);
		labdev_fini(&vm);
		return VMM_EXIT_USAGE;
	}
	struct fw_cfg_facts facts = {cfg.cpus, vm.ram_size, cfg.cmdline};
	if (uart_init(STDOUT_FILENO) || debug_exit_init(&vm, cfg.qemu_exit) ||
	    fw_cfg_init(&vm, &facts) || rtc_init(&vm, vm.ram_size, cfg.cpus) ||
	    reset_init(&vm) || power_off_init(&vm) || vm_create(&vm, cfg.cpus) ||
	    labdev_init(&vm, cfg.hc_stats)) {
		labdev_fini(&vm);
		return VMM_EXIT_HOST;
	}

	rc = vm_run(&vm, cfg.timeout_s);
	uart_flush();
	labdev_print_stats(&vm);
	if (cfg.trace_ports) {
		pio_report_unhandled(STDERR_FILENO);
		mmio_report_unhandled(STDERR_FILENO);
	}
	/* A vCPU still running could be mid-claim: then the rooms are left to
	 * the labyrinth's reaper (our lease dies with us), never freed under it. */
	if (vm.all_joined)
		labdev_fini(&vm);
	else
		fprintf(stderr, "vmm: leaving this guest's rooms to the labyrinth's reaper\n");
	return rc;
}
