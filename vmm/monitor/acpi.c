#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "power_off.h"

#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR 0xfee00000u

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, processor_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_override {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

static uint8_t checksum(const void *p, unsigned len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "LABYRI", 6);
	memcpy(h->oem_table_id, "LABYRNTH", 8);
	h->oem_revision = 1;
	memcpy(&h->creator_id, "LBRT", 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = checksum(h, len);
}

static uint32_t build_madt(uint8_t *p, unsigned cpus)
{
	uint32_t len = sizeof(struct acpi_header) + 8;

	memset(p, 0, len);
	memcpy(p + sizeof(struct acpi_header), &(uint32_t){LAPIC_ADDR}, 4);
	memcpy(p + sizeof(struct acpi_header) + 4, &(uint32_t){1}, 4); /* PCAT_COMPAT */
	for (unsigned i = 0; i < cpus; i++) {
		struct madt_lapic e = {0, sizeof(e), (uint8_t)i, (uint8_t)i, 1};
		memcpy(p + len, &e, sizeof(e));
		len += sizeof(e);
	}
	struct madt_ioapic io = {1, sizeof(io), (uint8_t)cpus, 0, IOAPIC_ADDR, 0};
	memcpy(p + len, &io, sizeof(io));
	len += sizeof(io);
	/* The PIT's IRQ0 arrives on IOAPIC pin 2, as on every PC since the APIC. */
	struct madt_override ov = {2, sizeof(ov), 0, 0, 2, 0};
	memcpy(p + len, &ov, sizeof(ov));
	len += sizeof(ov);
	header((struct acpi_header *)p, "APIC", len, 3);
	return len;
}

/* Generic Address Structure: where a register is. */
struct acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

/* FADT revision 6.x, every field named so that the offsets are the spec's. */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk;
	uint32_t pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm_blocks[8];	/* PM1a/b event, PM1a/b control, PM2, timer, GPE0/1 */
	struct acpi_gas sleep_control, sleep_status;
	uint64_t hypervisor_vendor;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length, hardware_signature, waking_vector, global_lock, flags;
	uint64_t x_waking_vector;
	uint8_t version, reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT 6.x is 276 bytes");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1
/* Hardware-reduced: no PM1 blocks, PM timer, GPEs or SCI to emulate; what
 * remains is the reset register (the same 0xcf9 the reset device serves). */
#define FADT_WBINVD (1u << 0)
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)
/* Legacy ISA devices (UART, RTC) yes; no 8042 to talk to, no VGA, no PCI for MSI. */
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define BOOT_ARCH_MSI_NOT_SUPPORTED (1u << 3)
#define RESET_PORT 0xcf9
#define RESET_VALUE 0x06	/* full reset of the CPU */
#define CMOS_CENTURY 0x32

static uint32_t build_fadt(uint8_t *p, uint64_t facs, uint64_t dsdt)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	f.firmware_ctrl = (uint32_t)facs;
	f.dsdt = (uint32_t)dsdt;
	f.x_firmware_ctrl = facs;
	f.x_dsdt = dsdt;
	f.century = CMOS_CENTURY;
	f.iapc_boot_arch = BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT |
			   BOOT_ARCH_MSI_NOT_SUPPORTED;
	f.flags = FADT_WBINVD | FADT_RESET_REG_SUP | FADT_HW_REDUCED_ACPI;
	f.reset_reg = (struct acpi_gas){ACPI_GAS_SYSTEM_IO, 8, 0, ACPI_GAS_ACCESS_BYTE,
					RESET_PORT};
	f.reset_value = RESET_VALUE;
	f.sleep_control = (struct acpi_gas){ACPI_GAS_SYSTEM_IO, 8, 0, ACPI_GAS_ACCESS_BYTE,
					    POWER_OFF_SLEEP_CONTROL};
	f.sleep_status = (struct acpi_gas){ACPI_GAS_SYSTEM_IO, 8, 0, ACPI_GAS_ACCESS_BYTE,
					   POWER_OFF_SLEEP_STATUS};
	f.minor_version = 3;
	memcpy(&f.hypervisor_vendor, "LABYRNTH", 8);
	memcpy(p, &f, sizeof(f));
	header((struct acpi_header *)p, "FACP", sizeof(f), 6);
	return sizeof(f);
}

static uint32_t build_facs(uint8_t *p)
{
	struct acpi_facs f;

	memset(&f, 0, sizeof(f));
	memcpy(f.signature, "FACS", 4);
	f.length = sizeof(f);
	f.version = 2;
	memcpy(p, &f, sizeof(f));
	return sizeof(f);
}

/*
 * The definition block, AML by hand (ACPI 6.4 ch. 20), two objects:
 *  - \_S5: the sleep type power_off.c takes as "off" (a hardware-reduced
 *    platform powers off through the FADT's sleep control register);
 *  - \_SB.COM1, a PNP0501 UART at 0x3f8, IRQ 4: on a hardware-reduced
 *    platform Linux maps no ISA interrupt it is not told of, so its tty
 *    could not take the UART's interrupt without this.
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',		/* Name (_S5, */
	0x12, 0x05, 0x02,			/*  Package (2) { */
	0x0a, POWER_OFF_S5_TYPE, 0x00,		/*   5, Zero }) */
	0x10, 0x33, '\\', '_', 'S', 'B', '_',	/* Scope (\_SB) { */
	0x5b, 0x82, 0x2b, 'C', 'O', 'M', '1',	/*  Device (COM1) { */
	0x08, '_', 'H', 'I', 'D',		/*   Name (_HID, */
	0x0c, 0x41, 0xd0, 0x05, 0x01,		/*    EisaId ("PNP0501")) */
	0x08, '_', 'U', 'I', 'D', 0x00,		/*   Name (_UID, Zero) */
	0x08, '_', 'C', 'R', 'S',		/*   Name (_CRS, */
	0x11, 0x10, 0x0a, 0x0d,			/*    Buffer (13) { */
	0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,	/* IO (Decode16, 0x3f8, 0x3f8, 1, 8) */
	0x22, 0x10, 0x00,			/*     IRQNoFlags () {4} */
	0x79, 0x00,				/*     EndTag }) } } */
};

/* Resource descriptors (ACPI 6.4 6.4.2, 6.4.3): small I/O and IRQ ones,
 * a large QWord address space one for memory above 4 GiB. */
static void crs_put(struct acpi_crs *c, const void *b, uint32_t n)
{
	if (c->len + n > sizeof(c->b) - 2)	/* 2: the end tag */
		abort();			/* a monitor bug, not a guest's */
	memcpy(c->b + c->len, b, n);
	c->len += n;
}

void acpi_crs_io(struct acpi_crs *c, uint16_t port, uint8_t count)
{
	uint8_t d[] = {0x47, 0x01, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)port,
		       (uint8_t)(port >> 8), 0x01, count};	/* Decode16, fixed */
	crs_put(c, d, sizeof(d));
}

void acpi_crs_memory64(struct acpi_crs *c, uint64_t base, uint64_t size)
{
	/* consumer, fixed min and max; read/write, cacheable memory */
	uint8_t d[46] = {0x8a, 43, 0, 0x00, 0x0d, 0x03};
	uint64_t q[5] = {0, base, base + size - 1, 0, size};	/* granularity .. length */

	memcpy(d + 6, q, sizeof(q));
	crs_put(c, d, sizeof(d));
}

void acpi_crs_irq(struct acpi_crs *c, uint8_t irq)
{
	uint8_t d[] = {0x22, (uint8_t)(1u << irq), (uint8_t)((1u << irq) >> 8)};	/* IRQNoFlags */
	crs_put(c, d, sizeof(d));
}

/* AML objects of the devices features add (ACPI 6.4 ch. 20). */
#define DEVICES_MAX 4
#define AML_MAX 256
static struct {
	uint8_t b[AML_MAX];
	uint32_t len;
} devices[DEVICES_MAX];
static unsigned ndevices;

/* PkgLength counts itself: 1 byte up to 63, then 2 (12 bits), then 3. */
static uint32_t aml_pkg(uint8_t *out, const uint8_t *body, uint32_t n)
{
	uint32_t len = n + 1, k = 1;

	if (len > 63) {
		len = n + 2, k = 2;
		if (len > 0xfff)
			len = n + 3, k = 3;
	}
	out[0] = k == 1 ? (uint8_t)len : (uint8_t)(((k - 1) << 6) | (len & 0xf));
	if (k > 1)
		out[1] = (uint8_t)(len >> 4);
	if (k > 2)
		out[2] = (uint8_t)(len >> 12);
	memcpy(out + k, body, n);
	return k + n;
}

static uint32_t aml_name(uint8_t *out, const char seg[4])
{
	out[0] = 0x08;		/* NameOp */
	memcpy(out + 1, seg, 4);
	return 5;
}

void acpi_add_device(const char name[4], const char *hid, const struct acpi_crs *crs)
{
	uint8_t dev[AML_MAX], buf[AML_MAX], *p = dev;
	uint32_t n = 0, hid_len = (uint32_t)strlen(hid) + 1;

	if (ndevices == DEVICES_MAX || hid_len + crs->len > 128)
		abort();	/* a monitor bug, not a guest's */
	memcpy(p, name, 4);
	p += 4;
	p += aml_name(p, "_HID");
	*p++ = 0x0d;		/* String */
	memcpy(p, hid, hid_len);
	p += hid_len;
	p += aml_name(p, "_UID");
	*p++ = 0x00;		/* Zero */
	p += aml_name(p, "_CRS");
	buf[n++] = 0x0a;	/* BufferSize: ByteConst */
	buf[n++] = (uint8_t)(crs->len + 2);
	memcpy(buf + n, crs->b, crs->len);
	n += crs->len;
	buf[n++] = 0x79;	/* EndTag, no checksum */
	buf[n++] = 0x00;
	*p++ = 0x11;		/* BufferOp */
	p += aml_pkg(p, buf, n);

	/* Scope (\_SB) { Device (name) { ... } } */
	n = 0;
	memcpy(buf, "\\_SB_", 5);
	n = 5;
	buf[n++] = 0x5b, buf[n++] = 0x82;	/* DeviceOp */
	n += aml_pkg(buf + n, dev, (uint32_t)(p - dev));
	devices[ndevices].b[0] = 0x10;		/* ScopeOp */
	devices[ndevices].len = 1 + aml_pkg(devices[ndevices].b + 1, buf, n);
	ndevices++;
}

static uint32_t build_dsdt(uint8_t *p)
{
	uint32_t len = sizeof(struct acpi_header) + sizeof(dsdt_aml);

	memset(p, 0, sizeof(struct acpi_header));
	memcpy(p + sizeof(struct acpi_header), dsdt_aml, sizeof(dsdt_aml));
	for (unsigned i = 0; i < ndevices; i++) {
		memcpy(p + len, devices[i].b, devices[i].len);
		len += devices[i].len;
	}
	header((struct acpi_header *)p, "DSDT", len, 2);
	return len;
}

/* RSDT (32-bit) or XSDT (64-bit entries) listing `n` tables. */
static uint32_t build_sdt(uint8_t *p, const char *sig, const uint64_t *tables, unsigned n,
			  unsigned entry_size)
{
	uint32_t len = sizeof(struct acpi_header) + n * entry_size;

	memset(p, 0, len);
	for (unsigned i = 0; i < n; i++)
		memcpy(p + sizeof(struct acpi_header) + i * entry_size, &tables[i], entry_size);
	header((struct acpi_header *)p, sig, len, 1);
	return len;
}

static uint32_t build_rsdp(uint8_t *p, uint64_t rsdt, uint64_t xsdt)
{
	struct acpi_rsdp rsdp;

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, "LABYRI", 6);
	rsdp.revision = 2;
	rsdp.rsdt = (uint32_t)rsdt;
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt = xsdt;
	rsdp.checksum = checksum(&rsdp, 20);
	rsdp.ext_checksum = checksum(&rsdp, sizeof(rsdp));
	memcpy(p, &rsdp, sizeof(rsdp));
	return sizeof(rsdp);
}

static uint64_t align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* Tables follow the RSDP one after the other, 16-byte aligned; the FACS
 * first, because it alone must be 64-byte aligned. */
uint64_t acpi_build(void *ram, uint64_t at, unsigned cpus)
{
	uint8_t *mem = ram;
	uint64_t facs = align_up(at + sizeof(struct acpi_rsdp), 64);
	uint64_t dsdt = align_up(facs + build_facs(mem + facs), 16);
	uint64_t fadt = align_up(dsdt + build_dsdt(mem + dsdt), 16);
	uint64_t madt = align_up(fadt + build_fadt(mem + fadt, facs, dsdt), 16);
	uint64_t rsdt = align_up(madt + build_madt(mem + madt, cpus), 16);
	uint64_t tables[] = {madt, fadt};
	unsigned n = sizeof(tables) / sizeof(tables[0]);
	uint64_t xsdt = align_up(rsdt + build_sdt(mem + rsdt, "RSDT", tables, n, 4), 16);

	build_sdt(mem + xsdt, "XSDT", tables, n, 8);
	build_rsdp(mem + at, rsdt, xsdt);
	return at;
}
