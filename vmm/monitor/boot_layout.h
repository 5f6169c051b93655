/* Guest-physical layout of the low megabyte, owned by the monitor.
 * Images may not load over these areas; the memory map marks them reserved. */
#ifndef VMM_BOOT_LAYOUT_H
#define VMM_BOOT_LAYOUT_H

#define GUEST_PAGE 0x1000ull

/* Boot data: GDT, PVH start info, multiboot info, memory maps, command line. */
#define LAYOUT_BOOT_INFO 0x1000ull
#define LAYOUT_GDT (LAYOUT_BOOT_INFO + 0x000)
#define LAYOUT_START_INFO (LAYOUT_BOOT_INFO + 0x100)
#define LAYOUT_MB_INFO (LAYOUT_BOOT_INFO + 0x200)
#define LAYOUT_MEMMAP (LAYOUT_BOOT_INFO + 0x300)
#define LAYOUT_MB_MMAP (LAYOUT_BOOT_INFO + 0x600)
#define LAYOUT_CMDLINE (LAYOUT_BOOT_INFO + 0xe00)
#define LAYOUT_CMDLINE_MAX 0x200
/* Identity page tables for direct long-mode entry: PML4, PDPT, 4 PDs (4 GiB). */
#define LAYOUT_PML4 0x2000ull
#define LAYOUT_PDPT 0x3000ull
#define LAYOUT_PD 0x4000ull
#define LAYOUT_LOW_END 0x8000ull	/* [0, LOW_END) is the monitor's */

/* The Multiboot command line, "IMAGE-PATH CMDLINE" as QEMU builds it: longer
 * than the PVH one, so it lives in the reserved hole, not in the boot page. */
#define LAYOUT_MB_CMDLINE 0xd0000ull
#define LAYOUT_MB_CMDLINE_MAX 0x1000
/* Linux's zero page (struct boot_params), beside it in the hole. */
#define LAYOUT_LINUX_PARAMS 0xd1000ull
/* The PVH module list (the initramfs), in the boot page's free part. */
#define LAYOUT_MODLIST (LAYOUT_BOOT_INFO + 0xd00)

/* ACPI tables (RSDP must sit in the BIOS area for guests that scan for it). */
#define LAYOUT_ACPI 0xe0000ull
#define LAYOUT_BIOS_END 0x100000ull	/* [0xa0000, 1 MiB) is legacy hole + ACPI */
#define LAYOUT_LEGACY_HOLE 0xa0000ull

/* RAM may not reach the IOAPIC/LAPIC pages below 4 GiB. */
#define LAYOUT_MEM_MIN (4ull << 20)
#define LAYOUT_MEM_MAX (3ull << 30)

#endif
