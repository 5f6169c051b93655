#include <string.h>

#include "acpi.h"

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

uint64_t acpi_build(void *ram, uint64_t at, unsigned cpus)
{
	uint8_t *base = (uint8_t *)ram + at;
	uint64_t rsdt = at + 64, xsdt = rsdt + 64, madt = xsdt + 64;
	struct acpi_rsdp rsdp;
	uint8_t table[64];

	build_madt((uint8_t *)ram + madt, cpus);

	memset(table, 0, sizeof(table));
	memcpy(table + sizeof(struct acpi_header), &(uint32_t){(uint32_t)madt}, 4);
	header((struct acpi_header *)table, "RSDT", sizeof(struct acpi_header) + 4, 1);
	memcpy((uint8_t *)ram + rsdt, table, 64);

	memset(table, 0, sizeof(table));
	memcpy(table + sizeof(struct acpi_header), &madt, 8);
	header((struct acpi_header *)table, "XSDT", sizeof(struct acpi_header) + 8, 1);
	memcpy((uint8_t *)ram + xsdt, table, 64);

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, "LABYRI", 6);
	rsdp.revision = 2;
	rsdp.rsdt = (uint32_t)rsdt;
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt = xsdt;
	rsdp.checksum = checksum(&rsdp, 20);
	rsdp.ext_checksum = checksum(&rsdp, sizeof(rsdp));
	memcpy(base, &rsdp, sizeof(rsdp));
	return at;
}
