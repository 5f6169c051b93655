/* Minimal ACPI tables: RSDP, RSDT, XSDT, a MADT naming every vCPU and the
 * IOAPIC, and a hardware-reduced FADT with its FACS and (empty) DSDT, so a
 * guest finds its CPUs and the reset register the way it would on a PC. */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H

#include <stdint.h>

/* Writes the tables at guest-physical `at` (in `ram`); returns the RSDP's address. */
uint64_t acpi_build(void *ram, uint64_t at, unsigned cpus);

#endif
