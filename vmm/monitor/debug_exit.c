#include "debug_exit.h"
#include "pio.h"
#include "vm.h"

#define DEBUG_EXIT_PORT 0xf4

static void debug_exit_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
			  unsigned size, void *opaque)
{
	(void)port, (void)size, (void)opaque;
	if (write)
		vm_stop(cpu->vm, data[0]);
	else
		data[0] = 0;
}

int debug_exit_init(struct vm *vm)
{
	(void)vm;
	return pio_register(DEBUG_EXIT_PORT, 4, debug_exit_io, NULL);
}
