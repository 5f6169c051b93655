/*
 * PVH (struct hvm_start_info) and Multiboot v1 (struct multiboot_info) both
 * give a command line and an E820-style memory map; PVH may also name the
 * ACPI RSDP. The layouts come from include/boot_protocols.h, the header
 * the VMM builds these structures with.
 */
#include "boot_protocols.h"
#include "bootinfo.h"
#include "layout.h"
#include "mem.h"

struct boot_info boot_info;

static void add_region(u64 base, u64 size, u32 type)
{
	if (boot_info.nregions < BOOT_MEMMAP_MAX)
		boot_info.regions[boot_info.nregions++] = (struct mem_region){base, size, type};
}

static int parse_pvh(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *map;

	if (si->magic != HVM_START_MAGIC || si->version < 1 || !si->memmap_paddr)
		return -1;
	map = (const void *)(uintptr_t)si->memmap_paddr;
	for (u32 i = 0; i < si->memmap_entries; i++)
		add_region(map[i].addr, map[i].size, map[i].type);
	boot_info.rsdp = si->rsdp_paddr;
	if (si->cmdline_paddr)
		boot_info.cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
	return 0;
}

static int parse_multiboot(const struct multiboot_info *mi)
{
	u32 off = 0;

	if (!(mi->flags & MULTIBOOT_INFO_MMAP))
		return -1;
	/* Entries are packed and sized by their own "size" field. */
	while (off + sizeof(struct multiboot_mmap_entry) <= mi->mmap_length) {
		const struct multiboot_mmap_entry *e =
			(const void *)(uintptr_t)(mi->mmap_addr + off);
		add_region(e->addr, e->len, e->type);
		off += e->size + sizeof(e->size);
	}
	if (mi->flags & MULTIBOOT_INFO_CMDLINE)
		boot_info.cmdline = (const char *)(uintptr_t)mi->cmdline;
	return 0;
}

int bootinfo_parse(u32 protocol, u32 info)
{
	int rc = -1;

	boot_info.protocol = protocol;
	boot_info.cmdline = "";
	if (protocol == BOOT_PROTO_PVH)
		rc = parse_pvh((const void *)(uintptr_t)info);
	else if (protocol == BOOT_PROTO_MULTIBOOT)
		rc = parse_multiboot((const void *)(uintptr_t)info);
	return rc || !boot_info.nregions ? -1 : 0;
}

static bool covered(u64 base, u64 size, bool ram_only)
{
	for (u32 i = 0; i < boot_info.nregions; i++) {
		const struct mem_region *r = &boot_info.regions[i];
		if (ram_only && r->type != E820_RAM)
			continue;
		if (base >= r->base && base + size <= r->base + r->size)
			return true;
	}
	return false;
}

bool bootinfo_is_ram(u64 base, u64 size)
{
	return covered(base, size, true);
}

/* Described at all (RAM, reserved, ACPI...): safe to read, not MMIO-backed nothing. */
bool bootinfo_is_described(u64 base, u64 size)
{
	return covered(base, size, false);
}

/* Finds "key=value" among the space-separated words of the command line. */
bool cmdline_get(const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = boot_info.cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && (p[klen] == '=' || p[klen] == ' ' || !p[klen])) {
			size_t n = 0;
			p += klen + (p[klen] == '=');
			while (p[n] && p[n] != ' ' && n + 1 < size) {
				val[n] = p[n];
				n++;
			}
			val[n] = '\0';
			return true;
		}
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

long cmdline_get_long(const char *key, long dflt)
{
	char buf[24];
	long v = 0;

	if (!cmdline_get(key, buf, sizeof(buf)) || !buf[0])
		return dflt;
	for (const char *c = buf; *c; c++) {
		if (*c < '0' || *c > '9')
			return dflt;
		v = v * 10 + (*c - '0');
	}
	return v;
}

u64 cmdline_get_u64(const char *key, u64 dflt)
{
	char buf[24];
	const char *c = buf;
	u64 v = 0, base = 10;

	if (!cmdline_get(key, buf, sizeof(buf)) || !buf[0])
		return dflt;
	if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X')) {
		base = 16;
		c += 2;
		if (!*c)
			return dflt;
	}
	for (; *c; c++) {
		u64 d;
		if (*c >= '0' && *c <= '9')
			d = (u64)(*c - '0');
		else if (base == 16 && *c >= 'a' && *c <= 'f')
			d = (u64)(*c - 'a' + 10);
		else if (base == 16 && *c >= 'A' && *c <= 'F')
			d = (u64)(*c - 'A' + 10);
		else
			return dflt;
		v = v * base + d;
	}
	return v;
}

bool cmdline_has(const char *word)
{
	char buf[2];

	return cmdline_get(word, buf, sizeof(buf));
}
