/* Choosing how to enter an image, then checking every segment against the
 * guest's RAM before copying any: a refused image leaves RAM untouched. */
#include <string.h>

#include "elf_load.h"
#include "image_load.h"
#include "boot_layout.h"
#include "linux_load.h"
#include "multiboot_load.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

/* A segment may not overlap the monitor's low area nor the BIOS/ACPI hole. */
static bool overlaps_reserved(uint64_t lo, uint64_t hi)
{
	return lo < LAYOUT_LOW_END || (lo < LAYOUT_BIOS_END && hi > LAYOUT_LEGACY_HOLE);
}

static int check_plan(const struct image_plan *plan, size_t size, uint64_t ram_size,
		      struct boot_image *image, const char **why)
{
	image->low = UINT64_MAX;
	image->high = 0;
	for (unsigned i = 0; i < plan->nseg; i++) {
		const struct image_segment *s = &plan->seg[i];
		uint64_t end = s->paddr + s->memsz;
		if (!in_file(s->offset, s->filesz, size))
			FAIL("truncated image: segment data past end of file");
		if (end < s->paddr || end > ram_size)
			FAIL("segment lies outside guest RAM (image larger than --mem?)");
		if (s->memsz && overlaps_reserved(s->paddr, end))
			FAIL("segment overlaps the monitor's reserved low memory");
		if (s->paddr < image->low)
			image->low = s->paddr;
		if (end > image->high)
			image->high = end;
	}
	if (plan->entry < image->low || plan->entry >= image->high)
		FAIL("entry point is outside the loaded segments");
	if (image->protocol != BOOT_LONG64 && plan->entry >= (1ull << 32))
		FAIL("32-bit entry point above 4 GiB");
	image->entry = plan->entry;
	return 0;
}

/* Multiboot: the a.out kludge wins when present, even in an ELF (as QEMU
 * loads it); otherwise the ELF's own segments and entry. */
static int plan_multiboot(const void *file, size_t size, const struct multiboot_found *mb,
			  const struct elf_image *elf, struct image_plan *plan,
			  const char **why)
{
	if (multiboot_check_flags(mb, why))
		return -1;
	if (mb->header.flags & MULTIBOOT_FLAG_AOUT_KLUDGE)
		return multiboot_aout_plan(mb, size, plan, why);
	if (!elf_is_elf(file, size))
		FAIL("Multiboot header without a.out kludge addresses in a file that is not ELF");
	*plan = elf->plan;
	return 0;
}

/* A bzImage first (it is no ELF), then a PVH note, then Multiboot, then a
 * plain ELF64; a plain ELF32 has no entry we could honour (it expects a
 * loader we are not). */
static int plan_image(const void *file, size_t size, struct image_plan *plan,
		      enum boot_protocol *protocol, const char **why)
{
	static struct elf_image elf;	/* large; main thread only */
	struct multiboot_found mb;
	bool is_elf = elf_is_elf(file, size);
	bool is_mb = multiboot_find(file, size, &mb);

	if (!is_elf && linux_is_bzimage(file, size)) {
		*protocol = BOOT_LINUX;
		return linux_plan(file, size, plan, why);
	}
	if (!is_elf && !is_mb)
		FAIL("not an ELF file, and no Multiboot header in its first 8 KiB");
	if (is_elf && elf_parse(file, size, &elf, why))
		return -1;
	if (is_elf && elf.has_pvh) {
		*protocol = BOOT_PVH;
		*plan = elf.plan;
		plan->entry = elf.pvh_entry;
		return 0;
	}
	if (is_mb) {
		*protocol = BOOT_MULTIBOOT;
		return plan_multiboot(file, size, &mb, &elf, plan, why);
	}
	if (!elf.is64)
		FAIL("32-bit ELF without a Multiboot header or PVH note: no known way to enter it");
	*protocol = BOOT_LONG64;
	*plan = elf.plan;
	return 0;
}

int image_load(const void *file, size_t size, void *ram, uint64_t ram_size,
	       struct boot_image *image, const char **why)
{
	static struct image_plan plan;
	const uint8_t *bytes = file;

	if (plan_image(file, size, &plan, &image->protocol, why) ||
	    check_plan(&plan, size, ram_size, image, why))
		return -1;
	for (unsigned i = 0; i < plan.nseg; i++) {
		const struct image_segment *s = &plan.seg[i];
		uint8_t *dst = (uint8_t *)ram + s->paddr;
		memcpy(dst, bytes + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	if (image->protocol == BOOT_LINUX)
		linux_zero_page(ram, file);
	return 0;
}
