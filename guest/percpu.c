#include "mem.h"
#include "percpu.h"
#include "x86.h"

struct percpu percpu_area[MAX_CPUS];

extern u8 ist_stacks[];

/* Called first on each CPU: printf and the handlers all use this_cpu(). */
void percpu_init(u32 cpu)
{
	struct percpu *p = &percpu_area[cpu];

	memset(p, 0, sizeof(*p));
	p->self = p;
	p->cpu = cpu;
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)p);
}

u64 ist_stack_top(u32 cpu)
{
	return (u64)(uintptr_t)(ist_stacks + (cpu + 1) * (u64)ISTACK_SIZE);
}
