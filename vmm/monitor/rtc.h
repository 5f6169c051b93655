/* The PC's MC146818 real-time clock and CMOS RAM at ports 0x70/0x71: the
 * host's UTC time, and the memory sizes and CPU count firmware stores there. */
#ifndef VMM_RTC_H
#define VMM_RTC_H

#include <stdint.h>

struct vm;
int rtc_init(struct vm *vm, uint64_t ram_size, unsigned cpus);

#endif
