/* Per-CPU data, reached through the GS base: %gs:0 holds its own address. */
#ifndef GUEST_PERCPU_H
#define GUEST_PERCPU_H

#include "layout.h"
#include "types.h"

/* The 64-bit task state segment: only the IST stacks are used (no user mode). */
struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct percpu {
	struct percpu *self;	/* must stay first: this_cpu() reads %gs:0 */
	u32 cpu;		/* dense number: 0 is the boot CPU, APs by arrival */
	u32 apic_id;
	u32 online;
	u32 irq_depth;		/* > 0 while in an interrupt or exception handler */
	u64 timer_ticks;
	u64 timer_deadline;	/* TSC-deadline mode: the deadline last armed */
	u64 ipi_pings;
	struct tss tss __aligned(16);
} __aligned(64);

extern struct percpu percpu_area[MAX_CPUS];

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ __volatile__("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static inline struct percpu *cpu_data(u32 cpu)
{
	return &percpu_area[cpu];
}

static inline bool in_interrupt(void)
{
	return this_cpu()->irq_depth > 0;
}

void percpu_init(u32 cpu);
u64 ist_stack_top(u32 cpu);

#endif
