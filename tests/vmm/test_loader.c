/* The loaders on hand-made images (ELF, Multiboot, PVH, Linux bzImage):
 * each bad image is refused with its reason and leaves guest RAM
 * untouched; each protocol is recognised. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "boot_protocols.h"
#include "image_load.h"
#include "boot_layout.h"

#define RAM_SIZE (8u << 20)
#define LOAD_AT 0x100000u
#define CODE_SIZE 64u
#define MB_CODE_SHIFT (offsetof(struct image, code) - offsetof(struct image, mb))

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
static const void *file = &img;	/* what load() loads: img, or bz */
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
		/* The kludge loads the file from the header on: the header lands
		 * at LOAD_AT, the code MB_CODE_SHIFT bytes above it. */
		img.mb.magic = MULTIBOOT_HEADER_MAGIC;
		img.mb.flags = MULTIBOOT_FLAG_AOUT_KLUDGE;
		img.mb.checksum = -(img.mb.magic + img.mb.flags);
		img.mb.header_addr = LOAD_AT;
		img.mb.load_addr = LOAD_AT;
		img.mb.load_end_addr = LOAD_AT + MB_CODE_SHIFT + CODE_SIZE;
		img.mb.bss_end_addr = LOAD_AT + MB_CODE_SHIFT + CODE_SIZE + 4096;
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
	file = &img;
}

static void teardown(void)
{
	free(ram);
}

static int load(size_t size)
{
	why = NULL;
	return image_load(file, size, ram, RAM_SIZE, &boot, &why);
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
	memset(&img.mb, 0, sizeof(img.mb));
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
	img.eh.e_ident[EI_CLASS] = 7;
	assert_refused(sizeof(img), "class");
}

Test(loader, elf32_header_with_x86_64_machine)
{
	img.eh.e_ident[EI_CLASS] = ELFCLASS32;
	assert_refused(sizeof(img), "machine");
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
	make_image(false, false);
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

Test(loader, multiboot_kludge_loads_from_the_header)
{
	make_image(false, true);
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_arr_eq(ram + LOAD_AT + MB_CODE_SHIFT, img.code, CODE_SIZE);
	cr_assert_eq(boot.high, LOAD_AT + MB_CODE_SHIFT + CODE_SIZE + 4096);
	for (unsigned i = 0; i < 4096; i++)
		cr_assert_eq(ram[LOAD_AT + MB_CODE_SHIFT + CODE_SIZE + i], 0, "bss at +%u", i);
}

static void set_mb_flags(uint32_t flags)
{
	img.mb.flags = flags;
	img.mb.checksum = -(img.mb.magic + img.mb.flags);
}

Test(loader, multiboot_required_flag_we_lack)
{
	make_image(false, true);
	set_mb_flags(MULTIBOOT_FLAG_AOUT_KLUDGE | (1u << 3));
	assert_refused(sizeof(img), "requires a feature");
}

Test(loader, multiboot_video_request_is_ignored)
{
	make_image(false, true);
	set_mb_flags(MULTIBOOT_FLAG_AOUT_KLUDGE | 0x7u);
	cr_assert_eq(load(sizeof(img)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_MULTIBOOT);
}

Test(loader, multiboot_kludge_load_end_past_file)
{
	make_image(false, true);
	img.mb.load_end_addr = LOAD_AT + sizeof(img);
	assert_refused(sizeof(img), "past end of file");
}

Test(loader, multiboot_kludge_header_below_load_addr)
{
	make_image(false, true);
	img.mb.load_addr = LOAD_AT + 4;
	assert_refused(sizeof(img), "do not match");
}

Test(loader, multiboot_kludge_header_before_file_start)
{
	make_image(false, true);
	img.mb.load_addr = LOAD_AT - 0x10000;
	assert_refused(sizeof(img), "do not match");
}

Test(loader, multiboot_kludge_bss_below_load_end)
{
	make_image(false, true);
	img.mb.bss_end_addr = LOAD_AT + 4;
	assert_refused(sizeof(img), "bss_end_addr");
}

Test(loader, multiboot_kludge_fields_cut_by_end_of_file)
{
	make_image(false, true);
	assert_refused(offsetof(struct image, mb) + 16, "truncated Multiboot header");
}

/* A file that is not ELF: a.out kludge header at 4 KiB, code after it. */
static struct {
	uint8_t pad[4096];
	struct multiboot_header mb;
	uint8_t code[CODE_SIZE];
} raw;

static int load_raw(size_t size)
{
	why = NULL;
	return image_load(&raw, size, ram, RAM_SIZE, &boot, &why);
}

static void make_raw(uint32_t flags)
{
	memset(&raw, 0, sizeof(raw));
	raw.mb.magic = MULTIBOOT_HEADER_MAGIC;
	raw.mb.flags = flags;
	raw.mb.checksum = -(raw.mb.magic + raw.mb.flags);
	raw.mb.header_addr = LOAD_AT + 4096;	/* the whole file loads at LOAD_AT */
	raw.mb.load_addr = LOAD_AT;
	raw.mb.entry_addr = LOAD_AT + offsetof(typeof(raw), code);
	memset(raw.code, 0x90, sizeof(raw.code));
}

Test(loader, aout_kludge_without_elf)
{
	make_raw(MULTIBOOT_FLAG_AOUT_KLUDGE);
	cr_assert_eq(load_raw(sizeof(raw)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_MULTIBOOT);
	cr_assert_eq(boot.entry, LOAD_AT + offsetof(typeof(raw), code));
	cr_assert_eq(boot.high, LOAD_AT + sizeof(raw), "load_end 0 means to end of file");
	cr_assert_arr_eq(ram + LOAD_AT + offsetof(typeof(raw), code), raw.code, CODE_SIZE);
}

Test(loader, multiboot_without_kludge_needs_elf)
{
	make_raw(0);
	cr_assert_eq(load_raw(sizeof(raw)), -1);
	cr_assert(strstr(why, "not ELF"), "%s", why);
}

Test(loader, multiboot_header_past_8k_is_not_seen)
{
	static uint8_t big[8192 + sizeof(raw)];
	make_raw(MULTIBOOT_FLAG_AOUT_KLUDGE);
	memset(big, 0, sizeof(big));
	memcpy(big + 8192, &raw, sizeof(raw));
	why = NULL;
	cr_assert_eq(image_load(big, sizeof(big), ram, RAM_SIZE, &boot, &why), -1);
	cr_assert(strstr(why, "no Multiboot header"), "%s", why);
}

/* ELF32 (i386): ELF header, one LOAD, a Multiboot header without the kludge. */
static struct {
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	struct multiboot_header mb;
	uint8_t code[CODE_SIZE];
} e32;

static void make_elf32(bool multiboot, uint32_t vaddr)
{
	memset(&e32, 0, sizeof(e32));
	memcpy(e32.eh.e_ident, ELFMAG, SELFMAG);
	e32.eh.e_ident[EI_CLASS] = ELFCLASS32;
	e32.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e32.eh.e_type = ET_EXEC;
	e32.eh.e_machine = EM_386;
	e32.eh.e_entry = vaddr + 8;
	e32.eh.e_phoff = offsetof(typeof(e32), ph);
	e32.eh.e_phentsize = sizeof(Elf32_Phdr);
	e32.eh.e_phnum = 1;
	e32.ph = (Elf32_Phdr){.p_type = PT_LOAD, .p_offset = offsetof(typeof(e32), code),
		.p_vaddr = vaddr, .p_paddr = LOAD_AT, .p_filesz = CODE_SIZE,
		.p_memsz = CODE_SIZE + 64};
	if (multiboot) {
		e32.mb.magic = MULTIBOOT_HEADER_MAGIC;
		e32.mb.flags = 0x3;
		e32.mb.checksum = -(e32.mb.magic + e32.mb.flags);
	}
	for (unsigned i = 0; i < CODE_SIZE; i++)
		e32.code[i] = (uint8_t)(0x30 + i);
}

static int load_elf32(void)
{
	why = NULL;
	return image_load(&e32, sizeof(e32), ram, RAM_SIZE, &boot, &why);
}

Test(loader, elf32_multiboot)
{
	make_elf32(true, LOAD_AT);
	cr_assert_eq(load_elf32(), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_MULTIBOOT);
	cr_assert_eq(boot.entry, LOAD_AT + 8);
	cr_assert_arr_eq(ram + LOAD_AT, e32.code, CODE_SIZE);
	cr_assert_eq(ram[LOAD_AT + CODE_SIZE], 0, "bss not zeroed");
}

Test(loader, elf32_higher_half_entry_is_made_physical)
{
	make_elf32(true, 0xc0000000u + LOAD_AT);
	cr_assert_eq(load_elf32(), 0, "%s", why);
	cr_assert_eq(boot.entry, LOAD_AT + 8);
}

Test(loader, elf32_without_multiboot_header)
{
	make_elf32(false, LOAD_AT);
	cr_assert_eq(load_elf32(), -1);
	cr_assert(strstr(why, "32-bit ELF without"), "%s", why);
}

Test(loader, elf32_truncated_header)
{
	make_elf32(true, LOAD_AT);
	why = NULL;
	cr_assert_eq(image_load(&e32, sizeof(Elf32_Ehdr) - 1, ram, RAM_SIZE, &boot, &why), -1);
	cr_assert(strstr(why, "truncated"), "%s", why);
}

Test(loader, elf32_with_64_bit_program_header_size)
{
	make_elf32(true, LOAD_AT);
	e32.eh.e_phentsize = sizeof(Elf64_Phdr);
	cr_assert_eq(load_elf32(), -1);
	cr_assert(strstr(why, "program headers"), "%s", why);
}

/* A bzImage as the boot protocol lays it out: one sector of real-mode
 * setup after the boot sector, the header at 0x1f1, then the
 * protected-mode kernel ("code") from 1024 on. */
#define BZ_SETUP 1024u
static uint8_t bz[BZ_SETUP + CODE_SIZE];

static void make_bzimage(uint16_t version, uint16_t xloadflags, uint32_t init_size)
{
	memset(bz, 0, sizeof(bz));
	bz[0x1f1] = 1;				/* setup_sects */
	bz[0x201] = 0x6a;			/* the header runs to 0x26c */
	memcpy(bz + 0x202, "HdrS", 4);
	memcpy(bz + 0x206, &version, 2);
	bz[0x211] = 0x01;			/* LOADED_HIGH */
	memcpy(bz + 0x22c, &(uint32_t){0x7fffffff}, 4);	/* initrd_addr_max */
	memcpy(bz + 0x236, &xloadflags, 2);
	memcpy(bz + 0x260, &init_size, 4);
	for (unsigned i = 0; i < CODE_SIZE; i++)
		bz[BZ_SETUP + i] = (uint8_t)(i + 1);
	file = bz;
}

Test(loader, bzimage_is_loaded_at_1m_and_entered_at_its_64bit_entry)
{
	make_bzimage(0x20f, 1, 4096);
	cr_assert_eq(load(sizeof(bz)), 0, "%s", why);
	cr_assert_eq(boot.protocol, BOOT_LINUX);
	cr_assert_eq(boot.entry, LOAD_AT + 0x200);
	cr_assert_arr_eq(ram + LOAD_AT, bz + BZ_SETUP, CODE_SIZE);
	cr_assert_eq(ram[LOAD_AT + CODE_SIZE], 0, "init_size past the file not zeroed");
	cr_assert_eq(ram[LOAD_AT + 4096], 0x5a, "wrote past init_size");
	/* the zero page: the file's setup header, then the loader's own marks */
	cr_assert_arr_eq(ram + LAYOUT_LINUX_PARAMS + 0x202, "HdrS", 4);
	cr_assert_eq(ram[LAYOUT_LINUX_PARAMS + 0x210], 0xff, "type_of_loader");
	cr_assert_eq(ram[LAYOUT_LINUX_PARAMS + 0x211], 0x81, "loadflags: LOADED_HIGH | CAN_USE_HEAP");
	cr_assert_eq(ram[LAYOUT_LINUX_PARAMS + 0x26c], 0, "copied past the header");
}

Test(loader, bzimage_before_protocol_2_12_is_refused)
{
	make_bzimage(0x20b, 1, 4096);
	assert_refused(sizeof(bz), "before 2.12");
}

Test(loader, bzimage_without_a_64bit_entry_is_refused)
{
	make_bzimage(0x20f, 0, 4096);
	assert_refused(sizeof(bz), "32-bit kernel");
}

Test(loader, bzimage_cut_short_in_its_setup_is_refused)
{
	make_bzimage(0x20f, 1, 4096);
	assert_refused(BZ_SETUP, "truncated bzImage");
}

Test(loader, bzimage_needing_more_than_the_ram_is_refused)
{
	make_bzimage(0x20f, 1, RAM_SIZE);
	assert_refused(sizeof(bz), "outside guest RAM");
}
