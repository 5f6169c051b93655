/* What the monitor writes into guest RAM before the first instruction:
 * memory maps, PVH start info, multiboot info, GDT, identity page tables. */
#ifndef VMM_BOOT_INFO_H
#define VMM_BOOT_INFO_H

#include <stdint.h>

#include "image_load.h"

#define BOOT_REGIONS_MAX 8

struct boot_region { uint64_t addr, size; uint32_t type; };	/* type: E820_* */

/* The guest's memory map, the same in every protocol and in fw_cfg. */
unsigned boot_info_memory_map(uint64_t ram_size, struct boot_region r[BOOT_REGIONS_MAX]);

/* Returns 0, or -1 if the Multiboot command line ("IMAGE-PATH CMDLINE")
 * does not fit its page. The initramfs, if any, is where img says. */
int boot_info_build(void *ram, uint64_t ram_size, uint64_t rsdp, const char *image_path,
		    const char *cmdline, const struct boot_image *img);

#endif
