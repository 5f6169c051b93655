/* What the monitor writes into guest RAM before the first instruction:
 * memory maps, PVH start info, multiboot info, GDT, identity page tables. */
#ifndef VMM_BOOT_INFO_H
#define VMM_BOOT_INFO_H

#include <stdint.h>

void boot_info_build(void *ram, uint64_t ram_size, uint64_t rsdp, const char *cmdline);

#endif
