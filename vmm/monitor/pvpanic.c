#include <stdio.h>

#include "acpi.h"
#include "exit_status.h"
#include "pvpanic.h"
#include "vm.h"

#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02	/* a crash kernel will take over: not an end */

static void pvpanic_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		       unsigned size, void *opaque)
{
	(void)port, (void)size, (void)opaque;
	if (!write) {
		data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;	/* what we understand */
		return;
	}
	if (data[0] & PVPANIC_PANICKED) {
		fprintf(stderr, "vmm: vCPU %u: guest kernel panicked (pvpanic)\n", cpu->id);
		vm_stop(cpu->vm, VMM_EXIT_GUEST_PANIC);
	}
}

int pvpanic_init(struct vm *vm)
{
	struct acpi_crs crs = {.len = 0};

	(void)vm;
	acpi_crs_io(&crs, PVPANIC_PORT, 1);
	acpi_add_device("PEVT", PVPANIC_HID, &crs);
	return pio_register(PVPANIC_PORT, 1, pvpanic_io, NULL);
}
