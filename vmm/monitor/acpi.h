/* Minimal ACPI tables: RSDP, RSDT, XSDT, a MADT naming every vCPU and the
 * IOAPIC, and a hardware-reduced FADT with its FACS and DSDT (COM1, _S5,
 * and the devices features add), so a guest finds its CPUs, devices and
 * the reset register the way it would on a PC. */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H

#include <stdint.h>

/* A device's resources (_CRS), appended in order; an end tag is added. */
#define ACPI_CRS_MAX 96
struct acpi_crs {
	uint8_t b[ACPI_CRS_MAX];
	uint32_t len;
};
void acpi_crs_io(struct acpi_crs *c, uint16_t port, uint8_t count);
void acpi_crs_memory64(struct acpi_crs *c, uint64_t base, uint64_t size);
void acpi_crs_irq(struct acpi_crs *c, uint8_t irq);	/* edge, active high */

/* A device of \_SB the guest's OS finds by its _HID (an 8-character ACPI
 * ID): what a feature of the monitor describes, before acpi_build. */
void acpi_add_device(const char name[4], const char *hid, const struct acpi_crs *crs);

/* Writes the tables at guest-physical `at` (in `ram`); returns the RSDP's address. */
uint64_t acpi_build(void *ram, uint64_t at, unsigned cpus);

#endif
