/* The guest's panic, told by QEMU's pvpanic device (an ISA port described
 * in the DSDT as QEMU0001, which Linux's pvpanic-mmio driver takes): a
 * write of "panicked" ends the VM with status 75, the status of a panic
 * reported through the hypercall port, so a kernel's panic is not mistaken
 * for the reset it would do next (panic=-1). */
#ifndef VMM_PVPANIC_H
#define VMM_PVPANIC_H

#define PVPANIC_PORT 0x505
#define PVPANIC_HID "QEMU0001"	/* QEMU's ACPI ID for it, which Linux matches */

/* Describes the device in the DSDT (before acpi_build) and takes its port. */
struct vm;
int pvpanic_init(struct vm *vm);

#endif
