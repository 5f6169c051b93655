/* ELF headers. Every field read from the file is checked against the file's
 * size before use: the image is untrusted input. Both classes are read into
 * one form, so the rest of the loader does not know which it was. */
#include <elf.h>
#include <string.h>

#include "boot_protocols.h"
#include "elf_load.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

/* The fields of either class's file header that the loader uses. */
struct elf_header {
	bool is64;
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

bool elf_is_elf(const void *file, size_t size)
{
	return size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0;
}

static int read_header(const uint8_t *file, size_t size, struct elf_header *h,
		       const char **why)
{
	if (size < EI_NIDENT)
		FAIL("truncated ELF header");
	if (file[EI_CLASS] != ELFCLASS64 && file[EI_CLASS] != ELFCLASS32)
		FAIL("neither a 32-bit nor a 64-bit ELF (bad class)");
	if (file[EI_DATA] != ELFDATA2LSB)
		FAIL("not a little-endian ELF");
	h->is64 = file[EI_CLASS] == ELFCLASS64;
	if (h->is64) {
		Elf64_Ehdr eh;
		if (size < sizeof(eh))
			FAIL("truncated ELF header");
		memcpy(&eh, file, sizeof(eh));
		*h = (struct elf_header){true, eh.e_type, eh.e_machine, eh.e_phentsize,
					 eh.e_phnum, eh.e_entry, eh.e_phoff};
	} else {
		Elf32_Ehdr eh;
		if (size < sizeof(eh))
			FAIL("truncated ELF header");
		memcpy(&eh, file, sizeof(eh));
		*h = (struct elf_header){false, eh.e_type, eh.e_machine, eh.e_phentsize,
					 eh.e_phnum, eh.e_entry, eh.e_phoff};
	}
	return 0;
}

static int check_header(const struct elf_header *h, size_t size, const char **why)
{
	size_t phsize = h->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (h->machine != (h->is64 ? EM_X86_64 : EM_386))
		FAIL(h->is64 ? "not an x86-64 ELF (wrong machine)"
			     : "not an i386 ELF (wrong machine for a 32-bit ELF)");
	if (h->type != ET_EXEC)
		FAIL("not an executable ELF (ET_EXEC)");
	if (h->phentsize != phsize || h->phnum == 0)
		FAIL("ELF has no usable program headers");
	if (h->phnum > IMAGE_MAX_SEGMENTS)
		FAIL("ELF has too many program headers");
	if (!in_file(h->phoff, (uint64_t)h->phnum * phsize, size))
		FAIL("truncated ELF: program headers past end of file");
	return 0;
}

/* Program header i of either class, widened; headers may be unaligned in the file. */
static Elf64_Phdr read_phdr(const uint8_t *file, const struct elf_header *h, unsigned i)
{
	Elf64_Phdr ph;
	Elf32_Phdr p32;

	if (h->is64) {
		memcpy(&ph, file + h->phoff + i * sizeof(ph), sizeof(ph));
		return ph;
	}
	memcpy(&p32, file + h->phoff + i * sizeof(p32), sizeof(p32));
	return (Elf64_Phdr){.p_type = p32.p_type, .p_flags = p32.p_flags,
		.p_offset = p32.p_offset, .p_vaddr = p32.p_vaddr, .p_paddr = p32.p_paddr,
		.p_filesz = p32.p_filesz, .p_memsz = p32.p_memsz, .p_align = p32.p_align};
}

/* PVH: a note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY in any PT_NOTE.
 * Note headers are three 32-bit words in both classes. */
static bool find_pvh_entry(const uint8_t *file, size_t size, const Elf64_Phdr *ph,
			   uint64_t *entry)
{
	uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	if (!in_file(ph->p_offset, ph->p_filesz, size))
		return false;
	while (end - off >= sizeof(Elf32_Nhdr)) {
		Elf32_Nhdr nh;
		memcpy(&nh, file + off, sizeof(nh));
		uint64_t name = off + sizeof(nh);
		uint64_t desc = name + ((nh.n_namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((nh.n_descsz + 3ull) & ~3ull);
		if (next > end)
			return false;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(file + name, "Xen", 4) == 0 &&
		    (nh.n_descsz == 4 || nh.n_descsz == 8)) {
			uint32_t e32 = 0;
			memcpy(&e32, file + desc, 4);
			*entry = e32;
			return true;
		}
		off = next;
	}
	return false;
}

/* A higher-half kernel names a virtual e_entry; a 32-bit loader enters at
 * the physical address of the same byte, as GRUB does. */
static uint64_t physical_entry(const struct elf_header *h, const Elf64_Phdr *ph)
{
	if (h->entry >= ph->p_vaddr && h->entry - ph->p_vaddr < ph->p_memsz)
		return h->entry - ph->p_vaddr + ph->p_paddr;
	return UINT64_MAX;
}

int elf_parse(const void *file, size_t size, struct elf_image *elf, const char **why)
{
	const uint8_t *bytes = file;
	struct elf_header h;

	memset(elf, 0, sizeof(*elf));
	if (read_header(bytes, size, &h, why) || check_header(&h, size, why))
		return -1;
	elf->is64 = h.is64;
	elf->plan.entry = h.entry;
	for (unsigned i = 0; i < h.phnum; i++) {
		Elf64_Phdr ph = read_phdr(bytes, &h, i);
		if (ph.p_type == PT_NOTE && !elf->has_pvh)
			elf->has_pvh = find_pvh_entry(bytes, size, &ph, &elf->pvh_entry);
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			FAIL("ELF segment has filesz > memsz");
		if (physical_entry(&h, &ph) != UINT64_MAX)
			elf->plan.entry = physical_entry(&h, &ph);
		elf->plan.seg[elf->plan.nseg++] = (struct image_segment){
			ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz};
	}
	if (!elf->plan.nseg)
		FAIL("ELF has no loadable segments");
	return 0;
}
