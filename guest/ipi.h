/* Inter-processor interrupts: run a function on another CPU, or just ping it. */
#ifndef GUEST_IPI_H
#define GUEST_IPI_H

#include "types.h"

typedef void (*ipi_fn_t)(void *arg);

void ipi_init(void);
int smp_call_on(u32 cpu, ipi_fn_t fn, void *arg, u64 timeout_us);
void ipi_ping(u32 cpu);

#endif
