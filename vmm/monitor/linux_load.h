/* Linux's x86 boot protocol (Documentation/arch/x86/boot.rst), its 64-bit
 * entry: the bzImage's protected-mode kernel is loaded at 1 MiB and entered
 * in long mode at +0x200 with %rsi pointing at a "zero page" (struct
 * boot_params) that holds the setup header copied from the file, the
 * memory map, the command line's and the initramfs' places, and the RSDP.
 * Debian's vmlinuz is such a bzImage; it decompresses itself. */
#ifndef VMM_LINUX_LOAD_H
#define VMM_LINUX_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image_load.h"

/* The boot protocol's magic ("HdrS") where a bzImage has it. */
bool linux_is_bzimage(const void *file, size_t size);
/* The protected-mode kernel as one segment at 1 MiB, the entry at +0x200;
 * 0, or -1 with *why (a version before 2.12, no 64-bit entry). */
int linux_plan(const void *file, size_t size, struct image_plan *plan, const char **why);
/* Writes the zero page at LAYOUT_LINUX_PARAMS: the file's setup header,
 * the loader's own fields, then boot_info fills the rest. */
void linux_zero_page(void *ram, const void *file);

struct boot_region;
/* The rest of the zero page: memory map, command line, initramfs, RSDP. */
void linux_boot_params(void *ram, const struct boot_region *r, unsigned n, uint64_t cmdline,
		       uint64_t initrd, uint64_t initrd_size, uint64_t rsdp);
/* Highest address + 1 an initramfs may reach, from the setup header. */
uint64_t linux_initrd_limit(const void *ram);

#endif
