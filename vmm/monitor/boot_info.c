#include <stdio.h>
#include <string.h>

#include "boot_info.h"
#include "boot_protocols.h"
#include "boot_layout.h"
#include "linux_load.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PS 0x80ull

unsigned boot_info_memory_map(uint64_t ram_size, struct boot_region r[BOOT_REGIONS_MAX])
{
	r[0] = (struct boot_region){0, LAYOUT_LOW_END, E820_RESERVED};
	r[1] = (struct boot_region){LAYOUT_LOW_END, LAYOUT_LEGACY_HOLE - LAYOUT_LOW_END, E820_RAM};
	r[2] = (struct boot_region){LAYOUT_LEGACY_HOLE, LAYOUT_BIOS_END - LAYOUT_LEGACY_HOLE,
			       E820_RESERVED};
	r[3] = (struct boot_region){LAYOUT_BIOS_END, ram_size - LAYOUT_BIOS_END, E820_RAM};
	return 4;
}

/* Flat 32-bit and 64-bit code/data descriptors; the guest is expected to
 * load its own GDT, this one only backs the segment state we hand over. */
static void build_gdt(uint8_t *ram)
{
	uint64_t gdt[4] = {
		0,
		0x00cf9b000000ffffull,	/* 0x08: 32-bit code */
		0x00cf93000000ffffull,	/* 0x10: data */
		0x00af9b000000ffffull,	/* 0x18: 64-bit code */
	};
	memcpy(ram + LAYOUT_GDT, gdt, sizeof(gdt));
}

/* Identity map of the low 4 GiB with 2 MiB pages, for direct long-mode entry. */
static void build_page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + LAYOUT_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + LAYOUT_PDPT);
	uint64_t *pd = (uint64_t *)(ram + LAYOUT_PD);

	memset(pml4, 0, GUEST_PAGE);
	memset(pdpt, 0, GUEST_PAGE);
	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_W;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * GUEST_PAGE) | PTE_P | PTE_W;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_PS;
}

static void build_pvh(uint8_t *ram, const struct boot_region *r, unsigned n, uint64_t rsdp,
		      const struct boot_image *img)
{
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = LAYOUT_CMDLINE,
		.rsdp_paddr = rsdp,
		.memmap_paddr = LAYOUT_MEMMAP,
		.memmap_entries = n,
	};
	struct hvm_memmap_entry *map = (struct hvm_memmap_entry *)(ram + LAYOUT_MEMMAP);

	for (unsigned i = 0; i < n; i++)
		map[i] = (struct hvm_memmap_entry){r[i].addr, r[i].size, r[i].type, 0};
	if (img->initrd_size) {
		struct hvm_modlist_entry m = {img->initrd, img->initrd_size, 0, 0};
		memcpy(ram + LAYOUT_MODLIST, &m, sizeof(m));
		si.nr_modules = 1;
		si.modlist_paddr = LAYOUT_MODLIST;
	}
	memcpy(ram + LAYOUT_START_INFO, &si, sizeof(si));
}

static void build_multiboot(uint8_t *ram, const struct boot_region *r, unsigned n,
			    uint64_t ram_size)
{
	struct multiboot_info mi = {
		.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MMAP,
		.mem_lower = LAYOUT_LEGACY_HOLE >> 10,
		.mem_upper = (uint32_t)((ram_size - LAYOUT_BIOS_END) >> 10),
		.cmdline = LAYOUT_MB_CMDLINE,
		.mmap_length = n * sizeof(struct multiboot_mmap_entry),
		.mmap_addr = LAYOUT_MB_MMAP,
	};

	for (unsigned i = 0; i < n; i++) {
		struct multiboot_mmap_entry e = {20, r[i].addr, r[i].size, r[i].type};
		memcpy(ram + LAYOUT_MB_MMAP + i * sizeof(e), &e, sizeof(e));
	}
	memcpy(ram + LAYOUT_MB_INFO, &mi, sizeof(mi));
}

/* Multiboot kernels take the first word as their name, as QEMU gives it:
 * "%s %s" of the image's path and the command line, even when it is empty. */
static int build_mb_cmdline(uint8_t *ram, const char *image_path, const char *cmdline)
{
	int n = snprintf((char *)ram + LAYOUT_MB_CMDLINE, LAYOUT_MB_CMDLINE_MAX, "%s %s",
			 image_path, cmdline);
	return n < 0 || n >= LAYOUT_MB_CMDLINE_MAX ? -1 : 0;
}

int boot_info_build(void *ram, uint64_t ram_size, uint64_t rsdp, const char *image_path,
		    const char *cmdline, const struct boot_image *img)
{
	struct boot_region r[BOOT_REGIONS_MAX];
	unsigned n = boot_info_memory_map(ram_size, r);
	uint8_t *mem = ram;
	size_t len = strnlen(cmdline, LAYOUT_CMDLINE_MAX - 1);

	build_gdt(mem);
	build_page_tables(mem);
	build_pvh(mem, r, n, rsdp, img);
	if (img->protocol == BOOT_LINUX)
		linux_boot_params(mem, r, n, LAYOUT_CMDLINE, img->initrd, img->initrd_size, rsdp);
	build_multiboot(mem, r, n, ram_size);
	memcpy(mem + LAYOUT_CMDLINE, cmdline, len);
	mem[LAYOUT_CMDLINE + len] = 0;
	return build_mb_cmdline(mem, image_path, cmdline);
}
