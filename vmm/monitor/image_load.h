/* Loading a kernel image into guest RAM and choosing how to enter it, as
 * QEMU's -kernel would: a Linux bzImage by the boot protocol, a PVH note,
 * else a Multiboot v1 header (ELF32, ELF64 or the a.out kludge), else a
 * 64-bit ELF entered directly in long mode. */
#ifndef VMM_IMAGE_LOAD_H
#define VMM_IMAGE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum boot_protocol {
	BOOT_PVH,		/* 32-bit entry from XEN_ELFNOTE_PHYS32_ENTRY */
	BOOT_MULTIBOOT,		/* 32-bit entry from the Multiboot v1 header */
	BOOT_LONG64,		/* neither: e_entry, entered directly in long mode */
	BOOT_LINUX,		/* a bzImage: Linux's boot protocol, 64-bit entry */
};

struct boot_image {
	enum boot_protocol protocol;
	uint64_t entry;		/* guest-physical */
	uint64_t low, high;	/* guest-physical extent of the loaded segments */
	uint64_t initrd, initrd_size;	/* where --initrd was put; size 0: none */
};

/* Real kernels have a handful; the bound keeps the plan on the stack. */
#define IMAGE_MAX_SEGMENTS 64

/* One piece of the file to copy to guest RAM; memsz - filesz bytes of zeroes follow. */
struct image_segment {
	uint64_t paddr, offset, filesz, memsz;
};

/* What a format parser found, before anything is written to guest RAM. */
struct image_plan {
	struct image_segment seg[IMAGE_MAX_SEGMENTS];
	unsigned nseg;
	uint64_t entry;		/* guest-physical */
};

/* Validates the image in [file, file + size), copies it to guest RAM and
 * finds the entry. Returns 0, or -1 with *why naming the first problem;
 * a refused image leaves RAM as it was. */
int image_load(const void *file, size_t size, void *ram, uint64_t ram_size,
	       struct boot_image *image, const char **why);


/* Is [off, off + len) inside a file of `size` bytes, without overflow? */
static inline bool in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

#endif
