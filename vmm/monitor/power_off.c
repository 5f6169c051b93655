/* The sleep control and status registers of a hardware-reduced FADT. */
#include "exit_status.h"
#include "power_off.h"
#include "vm.h"

#define SLP_EN 0x20
#define SLP_TYP(v) (((v) >> 2) & 7)
#define WAK_STS 0x80	/* "woken": what a guest polls for after a sleep */

static void power_off_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
			 unsigned size, void *opaque)
{
	(void)opaque, (void)size;
	if (!write) {
		data[0] = port == POWER_OFF_SLEEP_STATUS ? WAK_STS : 0;
		return;
	}
	if (port == POWER_OFF_SLEEP_CONTROL && (data[0] & SLP_EN) &&
	    SLP_TYP(data[0]) == POWER_OFF_S5_TYPE)
		vm_stop(cpu->vm, VMM_EXIT_POWER_OFF);
}

int power_off_init(struct vm *vm)
{
	(void)vm;
	return pio_register(POWER_OFF_SLEEP_CONTROL, 2, power_off_io, NULL);
}
