/* The Multiboot v1 header: where it is and, with the a.out kludge, which
 * bytes of the file go where in guest RAM. */
#ifndef VMM_MULTIBOOT_LOAD_H
#define VMM_MULTIBOOT_LOAD_H

#include "boot_protocols.h"
#include "image_load.h"

struct multiboot_found {
	struct multiboot_header header;	/* kludge fields zero if not in the file */
	uint64_t offset;		/* of the header in the file */
};

/* Finds the first valid header in the file's first 8 KiB; returns whether found. */
bool multiboot_find(const void *file, size_t size, struct multiboot_found *mb);

/* Refuses a header whose requirements (flags bits 0-15) we cannot meet. */
int multiboot_check_flags(const struct multiboot_found *mb, const char **why);

/* The a.out kludge: one segment and the entry, from the header's addresses. */
int multiboot_aout_plan(const struct multiboot_found *mb, size_t size,
			struct image_plan *plan, const char **why);

#endif
