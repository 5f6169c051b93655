#include <string.h>

#include "pio.h"

#define PIO_MAX_DEVICES 16

struct pio_range {
	uint16_t base, count;
	pio_fn fn;
	void *opaque;
};

/* Registered once before the vCPUs start and read-only afterwards: no lock. */
static struct pio_range ranges[PIO_MAX_DEVICES];
static unsigned nranges;

int pio_register(uint16_t base, uint16_t count, pio_fn fn, void *opaque)
{
	if (nranges == PIO_MAX_DEVICES)
		return -1;
	ranges[nranges++] = (struct pio_range){base, count, fn, opaque};
	return 0;
}

void pio_dispatch(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		  unsigned size)
{
	for (unsigned i = 0; i < nranges; i++) {
		if (port >= ranges[i].base && port - ranges[i].base < ranges[i].count) {
			ranges[i].fn(cpu, port, write, data, size, ranges[i].opaque);
			return;
		}
	}
	if (!write)
		memset(data, 0xff, size);
}
