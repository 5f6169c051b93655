/* ELF loading. Every field read from the file is checked against the file's
 * size and the guest's RAM before use: the image is untrusted input. */
#include <elf.h>
#include <string.h>

#include "boot_protocols.h"
#include "elf_load.h"
#include "layout.h"

/* Real kernels have a handful; the bound keeps the copy below on the stack. */
#define ELF_MAX_PHDRS 64

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

const char *boot_protocol_name(enum boot_protocol protocol)
{
	switch (protocol) {
	case BOOT_PVH: return "pvh";
	case BOOT_MULTIBOOT: return "multiboot";
	case BOOT_LONG64: return "long64";
	}
	return "?";
}

/* Is [off, off + len) inside a file of `size` bytes, without overflow? */
static int in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, const char **why)
{
	if (size < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		FAIL("not an ELF file");
	if (size < sizeof(*eh))
		FAIL("truncated ELF header");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		FAIL("not a 64-bit ELF (wrong class)");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		FAIL("not a little-endian ELF");
	if (eh->e_machine != EM_X86_64)
		FAIL("not an x86-64 ELF (wrong machine)");
	if (eh->e_type != ET_EXEC)
		FAIL("not an executable ELF (ET_EXEC)");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		FAIL("ELF has no usable program headers");
	if (eh->e_phnum > ELF_MAX_PHDRS)
		FAIL("ELF has too many program headers");
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
		FAIL("truncated ELF: program headers past end of file");
	return 0;
}

/* A segment may not overlap the monitor's low area nor the BIOS/ACPI hole. */
static int overlaps_reserved(uint64_t lo, uint64_t hi)
{
	return lo < LAYOUT_LOW_END || (lo < LAYOUT_BIOS_END && hi > LAYOUT_LEGACY_HOLE);
}

static int check_segment(const Elf64_Phdr *ph, size_t size, uint64_t ram_size,
			 const char **why)
{
	uint64_t end = ph->p_paddr + ph->p_memsz;

	if (ph->p_filesz > ph->p_memsz)
		FAIL("ELF segment has filesz > memsz");
	if (!in_file(ph->p_offset, ph->p_filesz, size))
		FAIL("truncated ELF: segment data past end of file");
	if (end < ph->p_paddr || end > ram_size)
		FAIL("ELF segment lies outside guest RAM (image larger than --mem?)");
	if (ph->p_memsz && overlaps_reserved(ph->p_paddr, end))
		FAIL("ELF segment overlaps the monitor's reserved low memory");
	return 0;
}

/* PVH: a note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY in any PT_NOTE. */
static int find_pvh_entry(const uint8_t *file, size_t size, const Elf64_Phdr *ph,
			  uint64_t *entry)
{
	uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	if (!in_file(ph->p_offset, ph->p_filesz, size))
		return 0;
	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, file + off, sizeof(nh));
		uint64_t name = off + sizeof(nh);
		uint64_t desc = name + ((nh.n_namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((nh.n_descsz + 3ull) & ~3ull);
		if (next > end)
			return 0;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(file + name, "Xen", 4) == 0 &&
		    (nh.n_descsz == 4 || nh.n_descsz == 8)) {
			uint32_t e32 = 0;
			memcpy(&e32, file + desc, 4);
			*entry = e32;
			return 1;
		}
		off = next;
	}
	return 0;
}

/* Multiboot v1: magic, flags, checksum summing to zero, 4-aligned, first 8 KiB. */
static int find_multiboot_entry(const uint8_t *file, size_t size, uint64_t e_entry,
				uint64_t *entry)
{
	size_t limit = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + sizeof(struct multiboot_header) <= limit; off += 4) {
		struct multiboot_header mh;
		memcpy(&mh, file + off, sizeof(mh));
		if (mh.magic != MULTIBOOT_HEADER_MAGIC ||
		    (uint32_t)(mh.magic + mh.flags + mh.checksum) != 0)
			continue;
		*entry = (mh.flags & MULTIBOOT_FLAG_AOUT_KLUDGE) ? mh.entry_addr : e_entry;
		return 1;
	}
	return 0;
}

static void choose_entry(const uint8_t *file, size_t size, const Elf64_Ehdr *eh,
			 const Elf64_Phdr *phs, struct boot_image *image)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (phs[i].p_type == PT_NOTE &&
		    find_pvh_entry(file, size, &phs[i], &image->entry)) {
			image->protocol = BOOT_PVH;
			return;
		}
	}
	if (find_multiboot_entry(file, size, eh->e_entry, &image->entry)) {
		image->protocol = BOOT_MULTIBOOT;
		return;
	}
	image->protocol = BOOT_LONG64;
	image->entry = eh->e_entry;
}

int elf_load(const void *file, size_t size, void *ram, uint64_t ram_size,
	     struct boot_image *image, const char **why)
{
	const uint8_t *bytes = file;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned loads = 0;

	memset(&eh, 0, sizeof(eh));
	memcpy(&eh, bytes, size < sizeof(eh) ? size : sizeof(eh));
	if (check_header(&eh, size, why))
		return -1;

	/* Check every segment before copying any, so a bad image leaves RAM as it was. */
	image->low = UINT64_MAX;
	image->high = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, bytes + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (check_segment(&ph, size, ram_size, why))
			return -1;
		loads++;
		if (ph.p_paddr < image->low)
			image->low = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > image->high)
			image->high = ph.p_paddr + ph.p_memsz;
	}
	if (!loads)
		FAIL("ELF has no loadable segments");

	/* The program headers may be unaligned in the file: copy them out. */
	Elf64_Phdr phs[eh.e_phnum];
	memcpy(phs, bytes + eh.e_phoff, sizeof(phs));
	choose_entry(bytes, size, &eh, phs, image);
	if (image->entry < image->low || image->entry >= image->high)
		FAIL("ELF entry point is outside the loaded segments");
	if (image->protocol != BOOT_LONG64 && image->entry >= (1ull << 32))
		FAIL("32-bit entry point above 4 GiB");

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (phs[i].p_type != PT_LOAD)
			continue;
		uint8_t *dst = (uint8_t *)ram + phs[i].p_paddr;
		memcpy(dst, bytes + phs[i].p_offset, phs[i].p_filesz);
		memset(dst + phs[i].p_filesz, 0, phs[i].p_memsz - phs[i].p_filesz);
	}
	return 0;
}
