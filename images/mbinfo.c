/* Built as an ELF32 Multiboot kernel (the kvm-unit-tests shape): prints the
 * Multiboot command line and what fw_cfg says about the machine, so the
 * same lines can be compared under ./vmm and QEMU. */
#include "bootinfo.h"
#include "fw_cfg.h"
#include "kernel.h"
#include "printf.h"

#define E820_RAM 1
#define MAX_E820 16

struct e820_entry {
	u64 addr, len;
	u32 type;
} __packed;

/* The top of RAM according to fw_cfg's etc/e820, read by DMA. */
static u64 e820_ram_top(void)
{
	static struct e820_entry map[MAX_E820];
	u16 key;
	u32 size;
	u64 top = 0;

	if (!fw_cfg_find_file("etc/e820", &key, &size) || size > sizeof(map) ||
	    !fw_cfg_dma_read(key, map, size))
		return 0;
	for (u32 i = 0; i < size / sizeof(map[0]); i++)
		if (map[i].type == E820_RAM && map[i].addr + map[i].len > top)
			top = map[i].addr + map[i].len;
	return top;
}

int main(void)
{
	printf("multiboot cmdline: '%s'\n", boot_info.cmdline);
	if (!fw_cfg_present()) {
		printf("fw_cfg: absent\n");
		return 1;
	}
	printf("fw_cfg: cpus %u\n", (u32)fw_cfg_read_int(FW_CFG_NB_CPUS, 2));
	printf("fw_cfg: ram %u MiB\n", (u32)(fw_cfg_read_int(FW_CFG_RAM_SIZE, 8) >> 20));
	/* QEMU fills these for Linux and PVH boots only, not for Multiboot. */
	static char cmdline[256];
	u32 len = (u32)fw_cfg_read_int(FW_CFG_CMDLINE_SIZE, 4);
	fw_cfg_read(FW_CFG_CMDLINE_DATA, cmdline, len < sizeof(cmdline) ? len : sizeof(cmdline) - 1);
	if (len)
		printf("fw_cfg: cmdline '%s'\n", cmdline);
	if (fw_cfg_read_int(FW_CFG_ID, 4) & FW_CFG_ID_DMA)
		printf("fw_cfg: etc/e820 (DMA) RAM top 0x%llx\n",
		       (unsigned long long)e820_ram_top());
	return 0;
}
