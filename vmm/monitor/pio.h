/* Port I/O dispatch: devices register the ports they own, the vCPU loop
 * looks them up; unclaimed ports read as all-ones and ignore writes, as on
 * a PC, and every such access is counted so a user can see what a kernel
 * looked for (--trace-ports). */
#ifndef VMM_PIO_H
#define VMM_PIO_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

typedef void (*pio_fn)(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		       unsigned size, void *opaque);

int pio_register(uint16_t base, uint16_t count, pio_fn fn, void *opaque);
void pio_route(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		  unsigned size);

/* One line per unhandled port on `fd` (reads, writes), then a total; returns the total. */
uint64_t pio_report_unhandled(int fd);

#endif
