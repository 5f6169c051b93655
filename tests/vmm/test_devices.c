#define _GNU_SOURCE
/* The minimal PC's devices driven through port dispatch, without KVM: what
 * each port returns, and every error path of fw_cfg's DMA. Criterion runs
 * each test in a fresh process, so the registrations start empty. */
#include <criterion/criterion.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "debug_exit.h"
#include "exit_status.h"
#include "fw_cfg.h"
#include "reset.h"
#include "rtc.h"
#include "vm.h"

#define RAM (1u << 20)

static struct vm vm;
static struct vcpu cpu = {.vm = &vm};

static void setup(void)
{
	vm.ram = calloc(1, RAM);
	vm.ram_size = RAM;
	pthread_mutex_init(&vm.lock, NULL);
	pthread_cond_init(&vm.stopped_cond, NULL);
	struct fw_cfg_facts facts = {3, 64ull << 20, "console=ttyS0 quiet"};
	cr_assert_eq(fw_cfg_init(&vm, &facts), 0);
	cr_assert_eq(rtc_init(&vm, 64ull << 20, 3), 0);
	cr_assert_eq(reset_init(&vm), 0);
}

TestSuite(devices, .init = setup);

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0;
	pio_route(&cpu, port, false, (uint8_t *)&v, size);
	return v;
}

static void out(uint16_t port, uint32_t v, unsigned size)
{
	pio_route(&cpu, port, true, (uint8_t *)&v, size);
}

static void cfg_read(uint16_t key, void *buf, unsigned len)
{
	out(0x510, key, 2);
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)in(0x511, 1);
}

static uint64_t cfg_int(uint16_t key, unsigned len)
{
	uint64_t v = 0;
	cfg_read(key, &v, len);
	return v;
}

Test(devices, fw_cfg_tells_the_truth)
{
	char sig[5] = {0}, cmdline[32] = {0};

	cfg_read(0x00, sig, 4);
	cr_assert_str_eq(sig, "QEMU");
	cr_assert_eq(cfg_int(0x01, 4), 3, "traditional interface and DMA");
	cr_assert_eq(cfg_int(0x05, 2), 3, "CPUs");
	cr_assert_eq(cfg_int(0x0f, 2), 3, "max CPUs");
	cr_assert_eq(cfg_int(0x03, 8), 64ull << 20, "RAM size");
	cr_assert_eq(cfg_int(0x14, 4), strlen("console=ttyS0 quiet") + 1);
	cfg_read(0x15, cmdline, sizeof(cmdline));
	cr_assert_str_eq(cmdline, "console=ttyS0 quiet");
	cr_assert_eq(cfg_int(0x8002, 4), 1, "IRQ0 override");
}

Test(devices, fw_cfg_past_the_end_and_unknown_keys_read_zero)
{
	uint8_t b[8];
	cfg_read(0x00, b, 8);
	cr_assert_eq(memcmp(b, "QEMU\0\0\0\0", 8), 0);
	cr_assert_eq(cfg_int(0x1234, 8), 0);
	cr_assert_eq(in(0x510, 1), 0, "the selector reads as zero");
	out(0x511, 0x55, 1);	/* ignored */
	cr_assert_eq(cfg_int(0x05, 2), 3);
}

struct dir_entry { uint32_t size; uint16_t select, reserved; char name[56]; } __attribute__((packed));

Test(devices, fw_cfg_file_directory_names_etc_e820)
{
	struct { uint32_t count; struct dir_entry f[1]; } __attribute__((packed)) dir;
	struct { uint64_t addr, len; uint32_t type; } __attribute__((packed)) e820[8];
	uint64_t top = 0;

	cfg_read(0x19, &dir, sizeof(dir));
	cr_assert_eq(be32toh(dir.count), 1);
	cr_assert_str_eq(dir.f[0].name, "etc/e820");
	uint32_t size = be32toh(dir.f[0].size);
	cr_assert(size % 20 == 0 && size <= sizeof(e820), "size %u", size);
	cfg_read(be16toh(dir.f[0].select), e820, size);
	for (unsigned i = 0; i < size / 20; i++)
		if (e820[i].type == 1 && e820[i].addr + e820[i].len > top)
			top = e820[i].addr + e820[i].len;
	cr_assert_eq(top, 64ull << 20, "RAM ends at the RAM size");
}

/* A DMA access at guest-physical `at`; returns its control word afterwards. */
static uint32_t dma(uint64_t at, uint32_t control, uint32_t length, uint64_t address)
{
	struct { uint32_t control, length; uint64_t address; } __attribute__((packed)) a = {
		htobe32(control), htobe32(length), htobe64(address)};
	memcpy(vm.ram + at, &a, sizeof(a));
	out(0x514, htobe32((uint32_t)(at >> 32)), 4);
	out(0x518, htobe32((uint32_t)at), 4);
	memcpy(&a, vm.ram + at, sizeof(a));
	return be32toh(a.control);
}

Test(devices, fw_cfg_dma_select_skip_read)
{
	cr_assert_eq(dma(0x1000, (0x00u << 16) | 0x08 | 0x04, 2, 0), 0, "select + skip");
	cr_assert_eq(dma(0x1000, 0x02, 4, 0x2000), 0, "read");
	cr_assert_eq(memcmp(vm.ram + 0x2000, "MU\0\0", 4), 0, "read went on after the skip");
}

Test(devices, fw_cfg_dma_errors)
{
	memset(vm.ram + 0x3000, 0x77, 16);
	cr_assert_eq(dma(0x1000, (0x05u << 16) | 0x08 | 0x10, 2, 0x3000), 0x01,
		     "nothing is writable");
	cr_assert_eq(dma(0x1000, (0x05u << 16) | 0x08 | 0x02, 16, RAM - 8), 0x01,
		     "a read past the end of RAM");
	cr_assert_eq(dma(0x1000, (0x05u << 16) | 0x08 | 0x02, 16, UINT64_MAX - 4), 0x01,
		     "a read whose end wraps");
	cr_assert_eq(vm.ram[0x3000], 0x77, "a refused write changed memory");
	/* An access outside RAM has nowhere to report to: nothing happens. */
	out(0x514, htobe32(0x1), 4);
	out(0x518, 0, 4);
	out(0x514, 0, 4);
}

/* The guest picks a DMA length up to 4 GiB - 1 and may skip or read past
 * the item: one access, so it must cost what the item holds, not the
 * length (it took ~30 s of this vCPU's thread, under the lock, with no way
 * for a stop to join it). Then the item reads on where the skip left it. */
Test(devices, fw_cfg_dma_past_the_item_costs_nothing, .timeout = 3)
{
	cr_assert_eq(dma(0x1000, (0x1234u << 16) | 0x08 | 0x04, UINT32_MAX, 0), 0,
		     "skip 4 GiB of an unknown item");
	cr_assert_eq(dma(0x1000, (0x00u << 16) | 0x08 | 0x04, UINT32_MAX, 0), 0,
		     "skip 4 GiB of the signature");
	memset(vm.ram + 0x2000, 0x77, 8);
	cr_assert_eq(dma(0x1000, 0x02, 8, 0x2000), 0, "read after the end");
	cr_assert_eq(memcmp(vm.ram + 0x2000, "\0\0\0\0\0\0\0\0", 8), 0, "past the end reads zero");
	memset(vm.ram + 0x2000, 0x77, RAM - 0x2000);
	cr_assert_eq(dma(0x1000, (0x00u << 16) | 0x08 | 0x02, RAM - 0x2000, 0x2000), 0,
		     "read the signature and all RAM after it");
	cr_assert_eq(memcmp(vm.ram + 0x2000, "QEMU", 4), 0);
	uint32_t i = 0x2004;
	while (i < RAM && !vm.ram[i])
		i++;
	cr_assert_eq(i, RAM, "byte 0x%x past the item is not zero", i);
}

Test(devices, fw_cfg_dma_signature)
{
	char sig[9] = {0};
	for (unsigned i = 0; i < 8; i++)
		sig[i] = (char)in((uint16_t)(0x514 + i), 1);
	cr_assert_str_eq(sig, "QEMU CFG");
}

static uint8_t cmos(uint8_t reg)
{
	out(0x70, reg, 1);
	return (uint8_t)in(0x71, 1);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

Test(devices, rtc_time_is_bcd_and_never_updating)
{
	cr_assert_eq(cmos(0x0a) & 0x80, 0, "UIP");
	cr_assert_eq(cmos(0x0b), 0x02, "24-hour BCD");
	cr_assert_eq(cmos(0x0d), 0x80, "valid");
	cr_assert_eq(cmos(0x0c), 0, "no interrupt");
	cr_assert(bcd(cmos(0x00)) < 60 && bcd(cmos(0x02)) < 60 && bcd(cmos(0x04)) < 24);
	cr_assert(bcd(cmos(0x08)) >= 1 && bcd(cmos(0x08)) <= 12);
	cr_assert_eq(bcd(cmos(0x32)), 20, "century");
	out(0x70, 0x80 | 0x32, 1);	/* NMI-mask bit: same register */
	cr_assert_eq(bcd((uint8_t)in(0x71, 1)), 20);
	out(0x70, 0x0b, 1);
	out(0x71, 0x06, 1);		/* binary mode */
	cr_assert_eq(cmos(0x32), 20, "binary century");
	out(0x70, 0x0d, 1);
	out(0x71, 0, 1);		/* read-only */
	cr_assert_eq(cmos(0x0d), 0x80);
}

Test(devices, cmos_memory_and_cpus)
{
	cr_assert_eq(cmos(0x15) | cmos(0x16) << 8, 640);
	cr_assert_eq(cmos(0x17) | cmos(0x18) << 8, 63 * 1024);
	cr_assert_eq(cmos(0x30) | cmos(0x31) << 8, 63 * 1024);
	cr_assert_eq(cmos(0x34) | cmos(0x35) << 8, (48u << 20) >> 16);
	cr_assert_eq(cmos(0x5f), 2, "CPUs - 1");
	out(0x70, 0x40, 1);
	out(0x71, 0xab, 1);
	cr_assert_eq(cmos(0x40), 0xab, "CMOS RAM keeps what is written");
}

static void assert_reset(void)
{
	cr_assert(vm.stopped, "no reset");
	cr_assert_eq(vm.status, VMM_EXIT_RESET);
}

Test(devices, reset_port_92)
{
	cr_assert_eq(in(0x92, 1), 0x02, "A20 on");
	out(0x92, 0x02, 1);
	cr_assert(!vm.stopped, "A20 alone must not reset");
	out(0x92, 0x03, 1);
	assert_reset();
}

Test(devices, reset_control_register)
{
	out(0xcf9, 0x02, 1);
	cr_assert(!vm.stopped, "bit 1 alone selects, bit 2 resets");
	cr_assert_eq(in(0xcf9, 1), 0x02);
	out(0xcf8, 0x80000000u, 4);	/* PCI configuration: not ours */
	cr_assert(!vm.stopped);
	out(0xcf9, 0x06, 1);
	assert_reset();
}

Test(devices, reset_keyboard_controller)
{
	cr_assert_eq(in(0x64, 1) & 0x03, 0, "buffers empty");
	out(0x64, 0xad, 1);		/* another command: nothing */
	cr_assert(!vm.stopped);
	out(0x64, 0xfe, 1);
	assert_reset();
}

Test(devices, debug_exit_statuses)
{
	cr_assert_eq(debug_exit_init(&vm, true), 0);
	out(0xf4, 0x21, 4);
	cr_assert_eq(vm.status, ((0x21 << 1) | 1) & 0xff);
}

Test(devices, debug_exit_unshifted_by_default)
{
	cr_assert_eq(debug_exit_init(&vm, false), 0);
	out(0xf4, 0x05, 1);
	cr_assert_eq(vm.status, 5);
}

Test(devices, unhandled_ports_read_all_ones_and_are_counted)
{
	char buf[512] = {0};
	int fd = memfd_create("report", 0);

	cr_assert_eq(in(0x60, 1), 0xff);
	cr_assert_eq(in(0x3000, 4), 0xffffffffu);
	out(0x80, 1, 1);
	out(0x80, 2, 1);
	cr_assert_eq(pio_report_unhandled(fd), 4);
	cr_assert(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
	cr_assert(strstr(buf, "vmm: unhandled port 0x0060: 1 reads, 0 writes\n"), "%s", buf);
	cr_assert(strstr(buf, "vmm: unhandled port 0x0080: 0 reads, 2 writes\n"), "%s", buf);
	cr_assert(strstr(buf, "vmm: 4 unhandled port accesses to 3 ports\n"), "%s", buf);
	close(fd);
}

Test(devices, registration_table_is_bounded)
{
	int rc = 0;
	for (unsigned i = 0; i < 32 && rc == 0; i++)
		rc = pio_register((uint16_t)(0x4000 + i), 1, NULL, NULL);
	cr_assert_eq(rc, -1, "the table never refuses");
}
