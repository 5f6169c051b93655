/*
 * A hostile guest against the monitor's own devices and exits (the
 * labyrinth's exclusivity is hc-hostile's). mode= one of
 *   panic-lines  a PANIC whose message holds a newline, a carriage return
 *                and a terminal escape: the monitor must still print one
 *                line of its own, and no escape, on stderr;
 *   dma-skip     one fw_cfg DMA access that skips 4 GiB - 1 bytes of an
 *                item nobody has: one exit whose work the guest chose, which
 *                must cost no more than a short item does;
 *   mmio-probe   reads and writes where no device is (an HPET's place,
 *                then MMIO_SPREAD more addresses than the monitor keeps
 *                apart): all ones back, and nothing kept per address past
 *                its table.
 * panic-lines ends with status 75; if it comes back it prints FAIL and
 * returns 1. dma-skip prints the access's control word and returns 0;
 * mmio-probe what it read, and 0.
 */
#include "bootinfo.h"
#include "hypercall.h"
#include "kernel.h"
#include "mem.h"
#include "printf.h"
#include "x86.h"

#define FW_CFG_PORT_DMA_HIGH 0x514
#define FW_CFG_PORT_DMA_LOW 0x518
#define DMA_SKIP 0x04u
#define DMA_SELECT 0x08u
#define KEY_NOBODY_HAS 0x1234u
#define HPET_BASE 0xfed00000ul
#define MMIO_SPREAD 100u
#define SPREAD_BASE 0xd0000000ul	/* below the IOAPIC, above any RAM we give */

static struct lab_hc block __aligned(64);
static char mode[16];

static bool is_mode(const char *m)
{
	u32 i = 0;

	for (; m[i] && mode[i] == m[i]; i++)
		;
	return !m[i] && !mode[i];
}

static void panic_lines(void)
{
	static const char msg[] = "first\nvmm: a line the guest wrote\x1b[2J\r";

	memset(&block, 0, sizeof(block));
	block.call = LAB_HC_PANIC;
	memcpy(block.u.panic, msg, sizeof(msg));
	hc_send_raw((u32)(uintptr_t)&block);
}

static void dma_skip(void)
{
	static volatile struct { u32 control, length; u64 address; } __packed __aligned(16) a;
	u64 at = (u64)(uintptr_t)&a;

	a.control = __builtin_bswap32((KEY_NOBODY_HAS << 16) | DMA_SELECT | DMA_SKIP);
	a.length = 0xffffffffu;
	a.address = 0;
	barrier();
	outl(FW_CFG_PORT_DMA_HIGH, __builtin_bswap32((u32)(at >> 32)));
	outl(FW_CFG_PORT_DMA_LOW, __builtin_bswap32((u32)at));
	barrier();
	printf("dma-skip: control 0x%x\n", __builtin_bswap32(a.control));
}

static void mmio_probe(void)
{
	volatile u32 *hpet = (volatile u32 *)HPET_BASE;
	u32 id = hpet[0], ones = 0;

	hpet[0x10 / 4] = 1;	/* "enable": nobody listens */
	for (u32 i = 0; i < MMIO_SPREAD; i++)
		ones += *(volatile u32 *)(SPREAD_BASE + i * 0x1000ul) == 0xffffffffu;
	printf("mmio-probe: read 0x%x at 0x%lx, all ones at %u of %u more\n", id, HPET_BASE, ones,
	       MMIO_SPREAD);
}

int main(void)
{
	if (!cmdline_get("mode", mode, sizeof(mode)))
		mode[0] = 0;
	if (is_mode("dma-skip")) {
		dma_skip();
		return 0;
	}
	if (is_mode("mmio-probe")) {
		mmio_probe();
		return 0;
	}
	if (!is_mode("panic-lines")) {
		printf("vmm-hostile: mode=panic-lines|dma-skip|mmio-probe\n");
		return 2;
	}
	panic_lines();
	printf("FAIL: vmm-hostile: the panic came back\n");
	return 1;
}
