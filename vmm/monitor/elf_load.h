/* Loading an x86-64 ELF image into guest RAM and choosing how to enter it. */
#ifndef VMM_ELF_LOAD_H
#define VMM_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

enum boot_protocol {
	BOOT_PVH,		/* 32-bit entry from XEN_ELFNOTE_PHYS32_ENTRY */
	BOOT_MULTIBOOT,		/* 32-bit entry from the Multiboot v1 header */
	BOOT_LONG64,		/* neither: e_entry, entered directly in long mode */
};

struct boot_image {
	enum boot_protocol protocol;
	uint64_t entry;		/* guest-physical */
	uint64_t low, high;	/* guest-physical extent of the loaded segments */
};

/* Validates the ELF in [file, file + size), copies its PT_LOAD segments to
 * guest RAM at their physical addresses and finds the entry. Returns 0, or
 * -1 with *why naming the first problem; RAM outside the segments is untouched. */
int elf_load(const void *file, size_t size, void *ram, uint64_t ram_size,
	     struct boot_image *image, const char **why);

const char *boot_protocol_name(enum boot_protocol protocol);

#endif
