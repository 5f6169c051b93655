#include <stdio.h>
#include <string.h>

#include "pio.h"

#define PIO_MAX_DEVICES 16
#define PIO_PORTS 65536

struct pio_range {
	uint16_t base, count;
	pio_fn fn;
	void *opaque;
};

/* Registered once before the vCPUs start and read-only afterwards: no lock. */
static struct pio_range ranges[PIO_MAX_DEVICES];
static unsigned nranges;

/* Per port, reads and writes nobody handled. 512 KiB of zero pages until a
 * kernel probes; relaxed atomics, since only the totals at exit matter. */
static uint32_t unhandled[PIO_PORTS][2];

int pio_register(uint16_t base, uint16_t count, pio_fn fn, void *opaque)
{
	if (nranges == PIO_MAX_DEVICES)
		return -1;
	ranges[nranges++] = (struct pio_range){base, count, fn, opaque};
	return 0;
}

void pio_route(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		  unsigned size)
{
	for (unsigned i = 0; i < nranges; i++) {
		if (port >= ranges[i].base && port - ranges[i].base < ranges[i].count) {
			ranges[i].fn(cpu, port, write, data, size, ranges[i].opaque);
			return;
		}
	}
	__atomic_fetch_add(&unhandled[port][write], 1, __ATOMIC_RELAXED);
	if (!write)
		memset(data, 0xff, size);
}

uint64_t pio_report_unhandled(int fd)
{
	uint64_t total = 0;
	unsigned ports = 0;

	for (unsigned p = 0; p < PIO_PORTS; p++) {
		uint32_t r = __atomic_load_n(&unhandled[p][0], __ATOMIC_RELAXED);
		uint32_t w = __atomic_load_n(&unhandled[p][1], __ATOMIC_RELAXED);
		if (!r && !w)
			continue;
		dprintf(fd, "vmm: unhandled port 0x%04x: %u reads, %u writes\n", p, r, w);
		total += r + w;
		ports++;
	}
	dprintf(fd, "vmm: %llu unhandled port accesses to %u ports\n",
		(unsigned long long)total, ports);
	return total;
}
