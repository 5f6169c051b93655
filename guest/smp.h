/* Bringing up every CPU the machine has. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include "types.h"

/* Enables the boot CPU's LAPIC, calibrates the clock, starts every AP
 * (each prints "cpu N online") and returns the number of CPUs online. */
u32 smp_init(void);
u32 smp_num_cpus(void);

#endif
