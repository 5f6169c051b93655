/* Inter-processor interrupts: run a function on another CPU, or just ping it. */
#ifndef GUEST_IPI_H
#define GUEST_IPI_H

#include "types.h"

typedef void (*ipi_fn_t)(void *arg);

void ipi_init(void);
int smp_call_on(u32 cpu, ipi_fn_t fn, void *arg, u64 timeout_us);
void ipi_ping(u32 cpu);

/* Starts fn on @cpu (another CPU) and returns without waiting for it:
 * 0, or -1 if @cpu is not online or its slot stayed busy. fn runs in the
 * IPI handler, interrupts off, for as long as it likes; smp_call_busy()
 * tells whether it has finished. For long work on every CPU at once. */
int smp_call_start(u32 cpu, ipi_fn_t fn, void *arg, u64 timeout_us);
bool smp_call_busy(u32 cpu);

/* Runs fn(arg) on CPUs 0..n-1 at once (this one is CPU 0) and waits up to
 * @timeout_us for all of them; returns how many did not finish in time. */
u32 smp_run_on_all(u32 n, ipi_fn_t fn, void *arg, u64 timeout_us);

#endif
