/* Walks the ACPI tables as a kernel without a loader's help would: scans
 * the BIOS area for the RSDP, checks every checksum, follows the FADT to
 * its FACS and DSDT, and counts the MADT's CPUs against fw_cfg's. */
#include "fw_cfg.h"
#include "kernel.h"
#include "mem.h"
#include "printf.h"
#include "report.h"

#define SCAN_START 0xe0000
#define SCAN_END 0x100000
#define MADT_LAPIC 0
#define MADT_X2APIC 9
#define MADT_ENABLED 1

struct sdt {
	char sig[4];
	u32 length;
	u8 revision, checksum;
	char oem[6], oem_table[8];
	u32 oem_rev, creator, creator_rev;
} __packed;

struct rsdp {
	char sig[8];
	u8 checksum;
	char oem[6];
	u8 revision;
	u32 rsdt;
	u32 length;
	u64 xsdt;
	u8 ext_checksum, reserved[3];
} __packed;

/* The FADT fields this walk follows, at the spec's offsets. */
struct fadt_links {
	struct sdt h;
	u32 firmware_ctrl, dsdt;
	u8 fields[132 - 44];
	u64 x_firmware_ctrl, x_dsdt;
} __packed;

static u8 sum(const void *p, u32 len)
{
	const u8 *b = p;
	u8 s = 0;
	while (len--)
		s += *b++;
	return s;
}

static const struct rsdp *find_rsdp(void)
{
	for (u64 a = SCAN_START; a < SCAN_END; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8))
			return (const void *)a;
	return NULL;
}

static bool table_ok(const struct sdt *t)
{
	return t && t->length >= sizeof(*t) && sum(t, t->length) == 0;
}

/* Entry i of the RSDT (4-byte) or XSDT (8-byte). */
static const struct sdt *entry(const struct sdt *sdt, u32 size, u32 i)
{
	u64 a = 0;
	memcpy(&a, (const u8 *)sdt + sizeof(*sdt) + i * size, size);
	return (const void *)(uintptr_t)a;
}

static u32 entries(const struct sdt *sdt, u32 size)
{
	return (sdt->length - sizeof(*sdt)) / size;
}

static const struct sdt *find(const struct sdt *rsdt, const char *sig)
{
	for (u32 i = 0; i < entries(rsdt, 4); i++)
		if (!memcmp(entry(rsdt, 4, i)->sig, sig, 4))
			return entry(rsdt, 4, i);
	return NULL;
}

static bool all_listed_ok(const struct sdt *rsdt)
{
	for (u32 i = 0; i < entries(rsdt, 4); i++)
		if (!table_ok(entry(rsdt, 4, i)))
			return false;
	return true;
}

static u32 madt_cpus(const struct sdt *madt)
{
	const u8 *p = (const u8 *)madt + sizeof(*madt) + 8;
	const u8 *end = (const u8 *)madt + madt->length;
	u32 n = 0;

	while (p + 2 <= end && p[1] >= 2) {
		if (p[0] == MADT_LAPIC && (p[4] & MADT_ENABLED))
			n++;
		if (p[0] == MADT_X2APIC && (p[8] & MADT_ENABLED))
			n++;
		p += p[1];
	}
	return n;
}

/* A 64-bit link wins when the table is long enough to have it and it is set. */
static u64 link(const struct fadt_links *f, u32 addr32, u64 addr64, u32 end64)
{
	return f->h.length >= end64 && addr64 ? addr64 : addr32;
}

static void check_fadt(const struct fadt_links *f)
{
	const char *facs = (const char *)(uintptr_t)link(f, f->firmware_ctrl,
							 f->x_firmware_ctrl, 140);
	const struct sdt *dsdt = (const void *)(uintptr_t)link(f, f->dsdt, f->x_dsdt, 148);

	report(facs && !memcmp(facs, "FACS", 4) && !((uintptr_t)facs & 63) &&
	       *(const u32 *)(facs + 4) >= 64,
	       "FADT -> FACS: signature, length, 64-byte alignment");
	report(dsdt && !memcmp(dsdt->sig, "DSDT", 4) && table_ok(dsdt),
	       "FADT -> DSDT: signature and checksum");
}

static void check_xsdt(const struct rsdp *rsdp, const struct sdt *rsdt)
{
	const struct sdt *xsdt = (const void *)(uintptr_t)rsdp->xsdt;
	bool same;

	if (rsdp->revision < 2) {
		report_skip("XSDT: the RSDP is ACPI 1.0 (revision %u)", rsdp->revision);
		return;
	}
	report(sum(rsdp, rsdp->length) == 0, "RSDP extended checksum");
	same = table_ok(xsdt) && entries(xsdt, 8) == entries(rsdt, 4);
	for (u32 i = 0; same && i < entries(rsdt, 4); i++)
		same = entry(xsdt, 8, i) == entry(rsdt, 4, i);
	report(same, "XSDT checksum, and it lists the RSDT's tables");
}

int main(void)
{
	const struct rsdp *rsdp = find_rsdp();
	const struct sdt *rsdt, *fadt, *madt;

	report(rsdp && sum(rsdp, 20) == 0, "RSDP found in the BIOS area, checksum");
	if (!rsdp)
		return report_summary();
	rsdt = (const void *)(uintptr_t)rsdp->rsdt;
	report(table_ok(rsdt) && !memcmp(rsdt->sig, "RSDT", 4), "RSDT checksum");
	report(all_listed_ok(rsdt), "every table the RSDT lists checksums to zero");
	fadt = find(rsdt, "FACP");
	report(fadt, "FADT listed");
	if (fadt)
		check_fadt((const void *)fadt);
	madt = find(rsdt, "APIC");
	report(madt && madt_cpus(madt) == fw_cfg_read_int(FW_CFG_NB_CPUS, 2),
	       "MADT lists as many enabled CPUs as fw_cfg counts");
	check_xsdt(rsdp, rsdt);
	return report_summary();
}
