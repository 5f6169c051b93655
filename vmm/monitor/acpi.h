/* Minimal ACPI tables: RSDP, RSDT, XSDT and a MADT naming every vCPU,
 * so a guest discovers its CPUs and the IOAPIC the way it would on a PC. */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H

#include <stdint.h>

/* Writes the tables at guest-physical `at` (in `ram`); returns the RSDP's address. */
uint64_t acpi_build(void *ram, uint64_t at, unsigned cpus);

#endif
