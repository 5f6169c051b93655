/* Guest-physical accesses outside RAM and the room window: no device of
 * ours answers there, so reads give all ones and writes are dropped, as
 * on a PC's unclaimed bus, and each is counted by address so a user can
 * see what a kernel looked for (--trace-ports lists them beside the
 * ports). */
#ifndef VMM_MMIO_H
#define VMM_MMIO_H

#include <stdbool.h>
#include <stdint.h>

void mmio_unhandled(uint64_t addr, bool write, uint8_t *data, unsigned len);

/* One line per address on `fd` (reads, writes), then a total; returns the total. */
uint64_t mmio_report_unhandled(int fd);

#endif
