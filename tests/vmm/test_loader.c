/* The ELF loader on hand-made images: each bad image is refused with its
 * reason and leaves guest RAM untouched; each protocol is recognised. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "boot_protocols.h"
#include "elf_load.h"

#define RAM_SIZE (8u << 20)
#define LOAD_AT 0x100000u
#define CODE_SIZE 64u

/* An image: ELF header, two program headers (LOAD, NOTE), PVH note,
 * multiboot header, then CODE_SIZE bytes of "code". */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	struct { Elf64_Nhdr nh; char name[4]; uint32_t entry; } note;
	struct multiboot_header mb;
	uint8_t code[CODE_SIZE];
};

static uint8_t *ram;
static struct image img;
static struct boot_image boot;
static const char *why;

static void make_image(bool pvh, bool multiboot)
{
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_entry = LOAD_AT + 8;
	img.eh.e_phoff = offsetof(struct image, ph);
	img.eh.e_ehsize = sizeof(Elf64_Ehdr);
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = pvh ? 2 : 1;
	img.ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_offset = offsetof(struct image, code),
		.p_paddr = LOAD_AT, .p_vaddr = LOAD_AT, .p_filesz = CODE_SIZE,
		.p_memsz = CODE_SIZE + 4096, .p_flags = PF_R | PF_X};
	img.ph[1] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = offsetof(struct image, note),
		.p_filesz = sizeof(img.note)};
	img.note.nh = (Elf64_Nhdr){.n_namesz = 4, .n_descsz = 4,
		.n_type = XEN_ELFNOTE_PHYS32_ENTRY};
	memcpy(img.note.name, "Xen", 4);
	img.note.entry = LOAD_AT + 16;
	if (multiboot) {
		img.mb.magic = MULTIBOOT_HEADER_MAGIC;
		img.mb.flags = MULTIBOOT_FLAG_AOUT_KLUDGE;
		img.mb.checksum = -(img.mb.magic + img.mb.flags);
		img.mb.entry_addr = LOAD_AT + 24;
	}
	for (unsigned i = 0; i < CODE_SIZE; i++)
		img.code[i] = (uint8_t)(0xa0 + i);
}

static void setup(void)
{
	ram = malloc(RAM_SIZE);
	cr_assert(ram);
	memset(ram, 0x5a, RAM_SIZE);
	make_image(true, true);
}

static void teardown(void)
{
	free(ram);
}

static int load(size_t size)
{
	why = NULL;
	return elf_load(&img, size, ram, RAM_SIZE, &boot, &why);
}

/* A refused image names a reason containing `word` and writes nothing. */
static void assert_refused(size_t size, const char *word)
{
	cr_assert_eq(load(size), -1);
	cr_assert(why && strstr(why, word), "reason '%s' lacks '%s'", why ? why : "(none)", word);
	for (size_t i = 0; i < RAM_SIZE; i += 4096)
		cr_assert_eq(ram[i], 0x5a, "RAM written at 0x%zx by a refused image", i);
	cr_assert_eq(ram[LOAD_AT], 0x5a);
}

TestSuite(loader, .init = setup, .fini = teardown);

Test(loader, pvh_note_wins_and_segments_are_copied)
{
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_PVH);
	cr_assert_eq(boot.entry, LOAD_AT + 16);
	cr_assert_eq(boot.low, LOAD_AT);
	cr_assert_eq(boot.high, LOAD_AT + CODE_SIZE + 4096);
	cr_assert_arr_eq(ram + LOAD_AT, img.code, CODE_SIZE);
	for (unsigned i = CODE_SIZE; i < CODE_SIZE + 4096; i++)
		cr_assert_eq(ram[LOAD_AT + i], 0, "bss not zeroed at +%u", i);
	cr_assert_eq(ram[LOAD_AT + CODE_SIZE + 4096], 0x5a, "wrote past memsz");
}

Test(loader, multiboot_header_without_pvh_note)
{
	make_image(false, true);
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_MULTIBOOT);
	cr_assert_eq(boot.entry, LOAD_AT + 24);
}

Test(loader, multiboot_with_bad_checksum_is_ignored)
{
	make_image(false, true);
	img.mb.checksum++;
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_LONG64);
}

Test(loader, plain_elf_enters_long_mode_at_e_entry)
{
	make_image(false, false);
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_LONG64);
	cr_assert_eq(boot.entry, LOAD_AT + 8);
}

Test(loader, empty_file) { assert_refused(0, "not an ELF"); }
Test(loader, not_elf)
{
	memcpy(&img, "root:x:0:0:root:/root:/bin/bash\n", 32);
	assert_refused(sizeof(img), "not an ELF");
}
Test(loader, truncated_header) { assert_refused(20, "truncated"); }
Test(loader, truncated_program_headers) { assert_refused(sizeof(Elf64_Ehdr) + 8, "truncated"); }
Test(loader, truncated_segment_data)
{
	assert_refused(offsetof(struct image, code) + CODE_SIZE - 1, "truncated");
}

Test(loader, wrong_class)
{
	img.eh.e_ident[EI_CLASS] = ELFCLASS32;
	assert_refused(sizeof(img), "class");
}

Test(loader, wrong_machine)
{
	img.eh.e_machine = EM_AARCH64;
	assert_refused(sizeof(img), "machine");
}

Test(loader, big_endian)
{
	img.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	assert_refused(sizeof(img), "endian");
}

Test(loader, shared_object)
{
	img.eh.e_type = ET_DYN;
	assert_refused(sizeof(img), "ET_EXEC");
}

Test(loader, too_many_program_headers)
{
	img.eh.e_phnum = 60000;
	assert_refused(sizeof(img), "program headers");
}

Test(loader, segment_outside_ram)
{
	img.ph[0].p_paddr = RAM_SIZE - 16;
	assert_refused(sizeof(img), "outside guest RAM");
}

Test(loader, image_larger_than_mem)
{
	img.ph[0].p_memsz = RAM_SIZE;
	assert_refused(sizeof(img), "larger than --mem");
}

Test(loader, address_wraps_around)
{
	img.ph[0].p_paddr = UINT64_MAX - 8;
	assert_refused(sizeof(img), "outside guest RAM");
}

Test(loader, over_monitor_low_area)
{
	img.ph[0].p_paddr = 0x2000;
	img.eh.e_entry = 0x2000;
	assert_refused(sizeof(img), "reserved");
}

Test(loader, over_bios_and_acpi_area)
{
	img.ph[0].p_paddr = 0xe0000;
	assert_refused(sizeof(img), "reserved");
}

Test(loader, filesz_above_memsz)
{
	img.ph[0].p_memsz = 1;
	assert_refused(sizeof(img), "filesz");
}

Test(loader, no_loadable_segment)
{
	img.ph[0].p_type = PT_NULL;
	assert_refused(sizeof(img), "no loadable");
}

Test(loader, entry_outside_segments)
{
	img.note.entry = 0x800000 - 4;
	assert_refused(sizeof(img), "entry point");
}

Test(loader, bad_second_segment_leaves_ram_untouched)
{
	/* The first segment is fine; the second is not: nothing may be copied. */
	img.eh.e_phnum = 2;
	img.ph[1] = img.ph[0];
	img.ph[1].p_paddr = RAM_SIZE;
	assert_refused(sizeof(img), "outside guest RAM");
}

Test(loader, malformed_note_is_skipped)
{
	img.note.nh.n_descsz = 0xfffffff0;
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_MULTIBOOT);
}
