/* What the boot protocol told us, in one form whichever protocol it was. */
#ifndef GUEST_BOOTINFO_H
#define GUEST_BOOTINFO_H

#include "types.h"

#define BOOT_MEMMAP_MAX 32

struct mem_region {
	u64 base, size;
	u32 type;		/* E820 type: 1 = RAM */
};

struct boot_info {
	u32 protocol;		/* BOOT_PROTO_* */
	u64 rsdp;		/* ACPI RSDP from the loader, 0 if none given */
	const char *cmdline;	/* never NULL */
	u32 nregions;
	struct mem_region regions[BOOT_MEMMAP_MAX];
};

extern struct boot_info boot_info;

int bootinfo_parse(u32 protocol, u32 info);
bool bootinfo_is_ram(u64 base, u64 size);
bool bootinfo_is_described(u64 base, u64 size);
bool cmdline_get(const char *key, char *val, size_t size);
long cmdline_get_long(const char *key, long dflt);
/* key=N with N decimal or 0x-prefixed hex; @dflt if absent or malformed. */
u64 cmdline_get_u64(const char *key, u64 dflt);
/* Is @word one of the command line's space-separated words (or key=...)? */
bool cmdline_has(const char *word);

#endif
