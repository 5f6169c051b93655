/* ELF32 (i386) and ELF64 (x86-64) executables: their loadable segments,
 * their entry point and, if they carry one, their PVH entry note. */
#ifndef VMM_ELF_LOAD_H
#define VMM_ELF_LOAD_H

#include "image_load.h"

struct elf_image {
	bool is64;
	bool has_pvh;
	uint64_t pvh_entry;
	struct image_plan plan;	/* entry: e_entry, made physical */
};

/* Does the file start with the ELF magic? */
bool elf_is_elf(const void *file, size_t size);

/* Reads the headers of an ELF file (elf_is_elf() is true). Returns 0, or
 * -1 with *why naming the first problem; nothing is written to guest RAM. */
int elf_parse(const void *file, size_t size, struct elf_image *elf, const char **why);

#endif
