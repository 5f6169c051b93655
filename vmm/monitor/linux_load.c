/* Linux's x86 boot protocol, 64-bit entry (see linux_load.h). Offsets are
 * the protocol's, in struct boot_params; only what a loader sets is named. */
#include <string.h>

#include "boot_info.h"
#include "boot_layout.h"
#include "linux_load.h"

#define SETUP_SECTS 0x1f1	/* u8: 512-byte sectors of real-mode setup (0: 4) */
#define SETUP_HEADER 0x1f1	/* the header runs to 0x202 + the byte at 0x201 */
#define HDR_MAGIC 0x202		/* "HdrS" */
#define HDR_VERSION 0x206	/* u16 */
#define TYPE_OF_LOADER 0x210	/* u8: 0xff, a loader with no assigned id */
#define LOADFLAGS 0x211		/* u8 */
#define RAMDISK_IMAGE 0x218	/* u32 */
#define RAMDISK_SIZE 0x21c	/* u32 */
#define HEAP_END_PTR 0x224	/* u16 */
#define CMD_LINE_PTR 0x228	/* u32 */
#define INITRD_ADDR_MAX 0x22c	/* u32 */
#define XLOADFLAGS 0x236	/* u16 */
#define INIT_SIZE 0x260		/* u32: memory the kernel needs from its load address */
#define ACPI_RSDP_ADDR 0x070	/* u64 */
#define E820_ENTRIES 0x1e8	/* u8 */
#define E820_TABLE 0x2d0	/* 128 x {u64 addr, u64 size, u32 type} */

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01
#define KERNEL_AT 0x100000ull	/* 1 MiB, as every loader of bzImages does */
#define ENTRY_64 0x200		/* from the protected-mode kernel's start */

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

static uint32_t get(const uint8_t *p, unsigned off, unsigned len)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[off + i] << (8 * i);
	return v;
}

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

bool linux_is_bzimage(const void *file, size_t size)
{
	return size > INIT_SIZE + 4 && !memcmp((const uint8_t *)file + HDR_MAGIC, "HdrS", 4);
}

static size_t setup_size(const uint8_t *f)
{
	unsigned sects = f[SETUP_SECTS];
	return ((size_t)(sects ? sects : 4) + 1) * 512;
}

int linux_plan(const void *file, size_t size, struct image_plan *plan, const char **why)
{
	const uint8_t *f = file;
	size_t off = setup_size(f);
	uint64_t init = get(f, INIT_SIZE, 4);

	if (get(f, HDR_VERSION, 2) < 0x20c)
		FAIL("Linux boot protocol before 2.12: no 64-bit entry (a kernel older than 3.8)");
	if (!(get(f, XLOADFLAGS, 2) & XLF_KERNEL_64))
		FAIL("a bzImage without a 64-bit entry (XLF_KERNEL_64): a 32-bit kernel");
	if (!(f[LOADFLAGS] & LOADED_HIGH))
		FAIL("a zImage (loaded low): only bzImages are booted");
	if (off >= size)
		FAIL("truncated bzImage: its setup runs past the end of the file");
	plan->nseg = 1;
	plan->seg[0] = (struct image_segment){
		.paddr = KERNEL_AT, .offset = off, .filesz = size - off,
		.memsz = init > size - off ? init : size - off,
	};
	plan->entry = KERNEL_AT + ENTRY_64;
	return 0;
}

void linux_zero_page(void *ram, const void *file)
{
	uint8_t *zp = (uint8_t *)ram + LAYOUT_LINUX_PARAMS;
	const uint8_t *f = file;

	memset(zp, 0, GUEST_PAGE);
	memcpy(zp + SETUP_HEADER, f + SETUP_HEADER, 0x202 + f[0x201] - SETUP_HEADER);
	zp[TYPE_OF_LOADER] = 0xff;
	zp[LOADFLAGS] |= CAN_USE_HEAP;
	put(zp, HEAP_END_PTR, 0xfe00, 2);	/* the setup's own heap: unused on 64-bit entry */
}

uint64_t linux_initrd_limit(const void *ram)
{
	return (uint64_t)get((const uint8_t *)ram + LAYOUT_LINUX_PARAMS, INITRD_ADDR_MAX, 4) + 1;
}

void linux_boot_params(void *ram, const struct boot_region *r, unsigned n, uint64_t cmdline,
		       uint64_t initrd, uint64_t initrd_size, uint64_t rsdp)
{
	uint8_t *zp = (uint8_t *)ram + LAYOUT_LINUX_PARAMS;

	zp[E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		put(zp, E820_TABLE + 20 * i, r[i].addr, 8);
		put(zp, E820_TABLE + 20 * i + 8, r[i].size, 8);
		put(zp, E820_TABLE + 20 * i + 16, r[i].type, 4);
	}
	put(zp, CMD_LINE_PTR, cmdline, 4);
	put(zp, RAMDISK_IMAGE, initrd, 4);
	put(zp, RAMDISK_SIZE, initrd_size, 4);
	put(zp, ACPI_RSDP_ADDR, rsdp, 8);
}
