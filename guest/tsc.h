/* Time: the TSC and the LAPIC timer, both calibrated against the PIT. */
#ifndef GUEST_CLOCK_H
#define GUEST_CLOCK_H

#include "types.h"

struct clock {
	u64 tsc_hz;		/* TSC ticks per second */
	u64 apic_timer_hz;	/* LAPIC timer counts per second at divide-by-16 */
	const char *source;	/* how tsc_hz was found */
};

extern struct clock clock;

void tsc_calibrate(void);
u64 tsc_ns(void);
u64 tsc_from_us(u64 us);
void udelay(u64 us);

#endif
