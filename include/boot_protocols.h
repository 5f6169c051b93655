/* The two ELF boot protocols both QEMU's -kernel and ./vmm accept:
 * Xen's PVH (an ELF note naming a 32-bit entry, struct hvm_start_info in
 * %ebx) and Multiboot v1 (a header in the first 8 KiB, info in %ebx).
 * Layouts are fixed by their specifications; used by the VMM and the guest. */
#ifndef LABYRINTH_BOOT_PROTOCOLS_H
#define LABYRINTH_BOOT_PROTOCOLS_H

#include <stdint.h>

/* --- PVH (xen/include/public/arch-x86/hvm/start_info.h) --- */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

/* One loaded module (the initramfs), at modlist_paddr. */
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;		/* 1: memmap fields are valid */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* E820 type */
	uint32_t reserved;
};

/* --- Multiboot v1 --- */
#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOT_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH 8192
#define MULTIBOOT_FLAG_AOUT_KLUDGE (1u << 16)
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MMAP (1u << 6)

struct multiboot_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;	/* KiB below 1 MiB, KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table, boot_loader_name, apm_table;
};

struct multiboot_mmap_entry {
	uint32_t size;			/* of the rest of the entry: 20 */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* E820 types, as both protocols use them. */
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3

#endif
