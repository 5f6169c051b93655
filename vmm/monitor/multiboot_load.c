/* The Multiboot v1 header, read as QEMU's and GRUB's loaders read it: the
 * first 4-aligned magic in the first 8 KiB whose checksum holds. */
#include <string.h>

#include "multiboot_load.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

/* Header words: magic, flags, checksum; then the a.out kludge addresses. */
#define MB_HEADER_WORDS 3
/* Requirement bits we meet: page-aligned modules (we load none), memory
 * information (always given), a video mode (no display: ignored, as QEMU does). */
#define MB_FLAGS_MET 0x7u
#define MB_FLAGS_REQUIRED 0xffffu

bool multiboot_find(const void *file, size_t size, struct multiboot_found *mb)
{
	const uint8_t *bytes = file;
	size_t limit = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;
	size_t words = MB_HEADER_WORDS * 4;

	for (size_t off = 0; off + words <= limit; off += 4) {
		uint32_t w[MB_HEADER_WORDS];
		memcpy(w, bytes + off, sizeof(w));
		if (w[0] != MULTIBOOT_HEADER_MAGIC || (uint32_t)(w[0] + w[1] + w[2]) != 0)
			continue;
		memset(mb, 0, sizeof(*mb));
		/* The kludge fields may run past the 8 KiB, not past the file. */
		size_t have = size - off < sizeof(mb->header) ? size - off : sizeof(mb->header);
		memcpy(&mb->header, bytes + off, have);
		mb->offset = off;
		return true;
	}
	return false;
}

int multiboot_check_flags(const struct multiboot_found *mb, const char **why)
{
	if (mb->header.flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_MET)
		FAIL("Multiboot header requires a feature this loader lacks (flags bits 3-15)");
	return 0;
}

/* The header sits at header_addr in memory and at `offset` in the file, so
 * the file's byte at offset - (header_addr - load_addr) goes to load_addr. */
int multiboot_aout_plan(const struct multiboot_found *mb, size_t size,
			struct image_plan *plan, const char **why)
{
	const struct multiboot_header *h = &mb->header;
	uint64_t load_end, bss_end, start;

	if (mb->offset + sizeof(*h) > size)
		FAIL("truncated Multiboot header: a.out kludge addresses past end of file");
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > mb->offset)
		FAIL("Multiboot a.out kludge: header_addr/load_addr do not match the file");
	start = mb->offset - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (size - start);
	if (load_end < h->load_addr || !in_file(start, load_end - h->load_addr, size))
		FAIL("Multiboot a.out kludge: load_end_addr past end of file");
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (bss_end < load_end)
		FAIL("Multiboot a.out kludge: bss_end_addr below load_end_addr");
	memset(plan, 0, sizeof(*plan));
	plan->seg[0] = (struct image_segment){h->load_addr, start, load_end - h->load_addr,
					      bss_end - h->load_addr};
	plan->nseg = 1;
	plan->entry = h->entry_addr;
	return 0;
}
