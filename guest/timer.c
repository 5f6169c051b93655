/*
 * In TSC-deadline mode the handler arms the next deadline one period after
 * the previous one (not after "now"), so ticks do not drift by the
 * handler's own latency, which is large here since kernel code is
 * emulated; if the CPU fell more than a period behind, it skips ahead
 * rather than firing a burst of late ticks.
 */
#include "apic.h"
#include "tsc.h"
#include "layout.h"
#include "percpu.h"
#include "timer.h"
#include "x86.h"

#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

static struct {
	u32 hz;
	bool deadline;
	u64 period_tsc;		/* deadline mode */
	u32 period_count;	/* periodic mode, at divide-by-16 */
	tick_hook_t hook;
} timer;

bool timer_uses_tsc_deadline(void)
{
	return timer.deadline;
}

static void arm_next_deadline(struct percpu *p)
{
	u64 now = rdtsc();
	u64 next = p->timer_deadline + timer.period_tsc;

	if (next <= now)
		next = now + timer.period_tsc;
	p->timer_deadline = next;
	wrmsr(MSR_TSC_DEADLINE, next);
}

static void timer_interrupt(struct trap_frame *f)
{
	struct percpu *p = this_cpu();
	tick_hook_t hook = READ_ONCE(timer.hook);

	p->timer_ticks++;
	if (timer.deadline)
		arm_next_deadline(p);
	if (hook)
		hook(f);
	apic_eoi();
}

void timer_set_hook(tick_hook_t hook)
{
	WRITE_ONCE(timer.hook, hook);
}

void timer_setup(u32 hz)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	timer.hz = hz;
	timer.deadline = (c & CPUID1_ECX_TSC_DEADLINE) != 0;
	timer.period_tsc = clock.tsc_hz / hz;
	timer.period_count = (u32)(clock.apic_timer_hz / hz);
	if (!timer.deadline && !timer.period_count)
		timer.period_count = 1000000;	/* uncalibrated: some tick beats none */
	idt_set_handler(VEC_TIMER, timer_interrupt);
}

void timer_start(void)
{
	struct percpu *p = this_cpu();

	if (timer.deadline) {
		/* The LVT must be in deadline mode before the MSR is written. */
		apic_write(APIC_LVT_TIMER, APIC_TIMER_TSC_DEADLINE | VEC_TIMER);
		p->timer_deadline = rdtsc();
		arm_next_deadline(p);
		return;
	}
	apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | VEC_TIMER);
	apic_write(APIC_TIMER_INIT, timer.period_count);
}

void timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
	if (timer.deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		apic_write(APIC_TIMER_INIT, 0);
}

void timer_start_call(void *unused)
{
	(void)unused;
	timer_start();
}

void timer_stop_call(void *unused)
{
	(void)unused;
	timer_stop();
}

void timer_idle_us(u64 us)
{
	u64 end = rdtsc() + tsc_from_us(us);

	while (rdtsc() < end)
		safe_halt();
	irq_disable();
}
