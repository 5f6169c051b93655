/* The per-CPU tick: the LAPIC timer in TSC-deadline mode when CPUID offers
 * it, else in periodic mode. timer_setup once on the boot CPU, then
 * timer_start on each CPU that should tick. */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include "idt.h"
#include "types.h"

typedef void (*tick_hook_t)(struct trap_frame *f);

void timer_setup(u32 hz);
void timer_set_hook(tick_hook_t hook);
void timer_start(void);
void timer_stop(void);
bool timer_uses_tsc_deadline(void);

/* The same, in the shape smp_call_on() runs on another CPU. */
void timer_start_call(void *unused);
void timer_stop_call(void *unused);
/* Halts with interrupts on for `us` microseconds (ticks wake it), then
 * returns with interrupts off. */
void timer_idle_us(u64 us);

#endif
