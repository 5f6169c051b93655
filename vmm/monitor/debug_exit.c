#include "debug_exit.h"
#include "vm.h"

#define DEBUG_EXIT_PORT 0xf4

static bool qemu_status;

/* QEMU takes the whole value written (1, 2 or 4 bytes); exit() keeps the low byte. */
static int qemu_compat_status(const uint8_t *data, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return (int)(((v << 1) | 1) & 0xff);
}

static void debug_exit_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
			  unsigned size, void *opaque)
{
	(void)port, (void)opaque;
	if (write)
		vm_stop(cpu->vm, qemu_status ? qemu_compat_status(data, size) : data[0]);
	else
		data[0] = 0;
}

int debug_exit_init(struct vm *vm, bool qemu_compat)
{
	(void)vm;
	qemu_status = qemu_compat;
	return pio_register(DEBUG_EXIT_PORT, 4, debug_exit_io, NULL);
}
