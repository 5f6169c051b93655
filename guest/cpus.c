/*
 * CPU discovery, first answer wins:
 *   1. "cpus=N" on the command line (no IDs: APs are woken by broadcast);
 *   2. the ACPI MADT, through the RSDP the loader named (PVH rsdp_paddr) or
 *      found by scanning the BIOS areas; "acpi=off" skips it;
 *   3. an Intel MP table found by the same scan; "mptable=off" skips it;
 *   4. nothing: smp.c broadcasts INIT/SIPI and counts who answers.
 * The scan reads only ranges the memory map describes, so a VMM without
 * firmware areas sees no stray accesses to unbacked guest memory.
 */
#include "bootinfo.h"
#include "cpus.h"
#include "mem.h"

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision, checksum;
	char oem_id[6], oem_table_id[8];
	u32 oem_revision, creator_id, creator_revision;
} __packed;

struct acpi_rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt;
	u32 length;
	u64 xsdt;
} __packed;

struct mp_floating {
	char signature[4];
	u32 config;
	u8 length, revision, checksum, features[5];
} __packed;

struct mp_config {
	char signature[4];
	u16 length;
	u8 revision, checksum;
	char oem[8], product[12];
	u32 oem_table;
	u16 oem_size, entries;
	u32 lapic;
	u16 ext_length;
	u8 ext_checksum, reserved;
} __packed;

#define MADT_LAPIC 0
#define MADT_X2APIC 9
#define MADT_ENABLED 0x1
#define MADT_ONLINE_CAPABLE 0x2
#define MP_PROCESSOR 0
#define MP_CPU_ENABLED 0x1

static u8 sum_bytes(const void *p, u32 n)
{
	const u8 *b = p;
	u8 s = 0;

	while (n--)
		s += *b++;
	return s;
}

static void add_cpu(struct cpu_census *c, u32 apic_id)
{
	if (c->count < MAX_CPUS)
		c->apic_ids[c->count++] = apic_id;
}

static void parse_madt(struct cpu_census *c, const struct acpi_header *madt)
{
	const u8 *p = (const u8 *)madt + sizeof(*madt) + 8;	/* lapic addr, flags */
	const u8 *end = (const u8 *)madt + madt->length;

	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		u32 flags, id;
		if (p[0] == MADT_LAPIC && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
		} else if (p[0] == MADT_X2APIC && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		} else {
			continue;
		}
		if (flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE))
			add_cpu(c, id);
	}
}

static const struct acpi_header *find_madt(const struct acpi_rsdp *rsdp)
{
	bool x = rsdp->revision >= 2 && rsdp->xsdt;
	const struct acpi_header *sdt =
		(const void *)(uintptr_t)(x ? rsdp->xsdt : rsdp->rsdt);
	u32 width = x ? 8 : 4;
	u32 n = (sdt->length - sizeof(*sdt)) / width;

	for (u32 i = 0; i < n; i++) {
		u64 addr = 0;
		memcpy(&addr, (const u8 *)(sdt + 1) + i * width, width);
		const struct acpi_header *h = (const void *)(uintptr_t)addr;
		if (!memcmp(h->signature, "APIC", 4))
			return h;
	}
	return NULL;
}

static void parse_mptable(struct cpu_census *c, const struct mp_floating *mpf)
{
	const struct mp_config *cfg = (const void *)(uintptr_t)mpf->config;
	const u8 *p = (const u8 *)(cfg + 1);

	if (!mpf->config || memcmp(cfg->signature, "PCMP", 4))
		return;
	for (u32 i = 0; i < cfg->entries; i++) {
		if (p[0] != MP_PROCESSOR) {
			p += 8;
			continue;
		}
		if (p[3] & MP_CPU_ENABLED)
			add_cpu(c, p[1]);
		p += 20;
	}
}

/* The 16-byte aligned signature scan both ACPI and the MP spec define. */
static const void *scan(u64 base, u64 len, const char *sig, u32 siglen, u32 sumlen)
{
	if (!base || !bootinfo_is_described(base, len))
		return NULL;
	for (u64 a = base; a + sumlen <= base + len; a += 16) {
		const void *p = (const void *)(uintptr_t)a;
		if (!memcmp(p, sig, siglen) && !sum_bytes(p, sumlen))
			return p;
	}
	return NULL;
}

/* The BIOS data area keeps the EBDA's segment at 0x40e. */
static u64 ebda_base(void)
{
	const volatile u16 *segment = (const volatile u16 *)(uintptr_t)0x40e;

	/* Hide the constant address from gcc's array-bounds analysis. */
	__asm__("" : "+r"(segment));
	return bootinfo_is_described(0x40e, 2) ? (u64)*segment << 4 : 0;
}

/* The two 64 KiB halves are checked apart: maps often list only 0xf0000. */
static const void *scan_bios_areas(const char *sig, u32 siglen, u32 sumlen)
{
	const void *p = scan(ebda_base(), 1024, sig, siglen, sumlen);

	if (!p)
		p = scan(0x9fc00, 1024, sig, siglen, sumlen);
	if (!p)
		p = scan(0xe0000, 0x10000, sig, siglen, sumlen);
	if (!p)
		p = scan(0xf0000, 0x10000, sig, siglen, sumlen);
	return p;
}

static bool try_madt(struct cpu_census *c)
{
	const struct acpi_rsdp *rsdp = (const void *)(uintptr_t)boot_info.rsdp;
	const struct acpi_header *madt;

	if (!rsdp)
		rsdp = scan_bios_areas("RSD PTR ", 8, 20);
	if (!rsdp || memcmp(rsdp->signature, "RSD PTR ", 8))
		return false;
	madt = find_madt(rsdp);
	if (madt)
		parse_madt(c, madt);
	return c->count > 0;
}

static bool try_mptable(struct cpu_census *c)
{
	const struct mp_floating *mpf = scan_bios_areas("_MP_", 4, 16);

	if (mpf)
		parse_mptable(c, mpf);
	return c->count > 0;
}

static bool option_off(const char *key)
{
	char v[8];

	return cmdline_get(key, v, sizeof(v)) && !strncmp(v, "off", 4);
}

void cpus_discover(struct cpu_census *c)
{
	long n = cmdline_get_long("cpus", 0);

	memset(c, 0, sizeof(*c));
	if (n > 0) {
		c->count = n > MAX_CPUS ? MAX_CPUS : (u32)n;
		c->source = "cmdline";
		return;
	}
	c->ids_known = true;
	if (!option_off("acpi") && try_madt(c)) {
		c->source = "madt";
		return;
	}
	if (!option_off("mptable") && try_mptable(c)) {
		c->source = "mptable";
		return;
	}
	c->ids_known = false;
	c->source = "none";
}
