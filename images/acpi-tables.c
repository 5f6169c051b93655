/* Walks the ACPI tables as a kernel without a loader's help would: scans
 * the BIOS area for the RSDP, checks every checksum, follows the FADT to
 * its FACS and DSDT (and the hypercall port's description there), and
 * counts the MADT's CPUs against fw_cfg's. */
#include "fw_cfg.h"
#include "hypercall.h"
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

/* A resource descriptor of a _CRS buffer (ACPI 6.4 6.4): small ones
 * are tag << 3 | length, large ones a tag and a 16-bit length. */
struct port_description {
	u32 io, io_len, irqs;
	u64 window, window_len;
};

static void read_resources(const u8 *p, const u8 *end, struct port_description *d)
{
	while (p < end && *p != 0x79) {		/* the end tag */
		if (*p & 0x80) {
			u32 len = p[1] | p[2] << 8;

			if (*p == 0x8a && p[3] == 0) {	/* QWord, memory */
				memcpy(&d->window, p + 14, 8);
				memcpy(&d->window_len, p + 38, 8);
			}
			p += 3 + len;
			continue;
		}
		if ((*p >> 3 & 0xf) == 8) {		/* I/O */
			d->io = p[2] | p[3] << 8;
			d->io_len = p[7];
		} else if ((*p >> 3 & 0xf) == 4) {	/* IRQ */
			d->irqs = p[1] | p[2] << 8;
		}
		p += 1 + (*p & 7);
	}
}

/* The hypercall port's description (labyrinth_abi.h): its _HID, then the
 * _CRS buffer after it, as INFO names the window. QEMU has none. */
static void check_port_description(const struct sdt *dsdt)
{
	const u8 *p = (const u8 *)dsdt + sizeof(*dsdt), *end = (const u8 *)dsdt + dsdt->length;
	struct port_description d = {0};
	struct lab_hc_info info;

	while (p + sizeof(LAB_HC_ACPI_HID) <= end &&
	       memcmp(p, LAB_HC_ACPI_HID, sizeof(LAB_HC_ACPI_HID)))
		p++;
	if (p + sizeof(LAB_HC_ACPI_HID) > end) {
		printf("# DSDT: no hypercall port described\n");
		return;
	}
	while (p + 4 <= end && memcmp(p, "_CRS", 4))
		p++;
	p += 4;
	if (p + 4 < end && p[0] == 0x11) {		/* BufferOp, PkgLength, BufferSize */
		p += 2 + (p[1] >> 6);
		p += p[0] == 0x0a ? 2 : 3;
		read_resources(p, end, &d);
	}
	report(d.io == LAB_HC_PORT && d.io_len == LAB_HC_PORT_SIZE && d.irqs &&
	       !(d.irqs & (d.irqs - 1)) && hc_info(&info) == LAB_HC_OK &&
	       d.window == info.window_base && d.window_len == info.window_size,
	       "DSDT describes the hypercall port: I/O 0x%x (%u), one IRQ, the room window "
	       "INFO names (0x%llx, %llu bytes)", d.io, d.io_len, (unsigned long long)d.window,
	       (unsigned long long)d.window_len);
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
	if (dsdt && table_ok(dsdt))
		check_port_description(dsdt);
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
