/*
 * smp_call_on: one request slot per target CPU. A sender claims the slot
 * (busy 0 -> 1), fills it and sends the IPI; the target's handler runs the
 * function, bumps done and frees the slot. The sender waits, bounded, for
 * done to move: it waits on the target, never on a lock the code it
 * interrupted may hold, so it may be called from an interrupt handler as
 * long as the target is not this CPU (which runs the function directly).
 */
#include "apic.h"
#include "tsc.h"
#include "idt.h"
#include "ipi.h"
#include "layout.h"
#include "percpu.h"
#include "x86.h"

struct call_slot {
	u32 busy;		/* claimed by a sender until the target ran fn */
	u32 done;		/* requests completed on this slot */
	ipi_fn_t fn;
	void *arg;
} __aligned(64);

static struct call_slot slots[MAX_CPUS];

static void call_interrupt(struct trap_frame *f)
{
	struct call_slot *s = &slots[this_cpu()->cpu];

	(void)f;
	if (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE)) {
		s->fn(s->arg);
		__atomic_fetch_add(&s->done, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
	}
	apic_eoi();
}

static void ping_interrupt(struct trap_frame *f)
{
	(void)f;
	this_cpu()->ipi_pings++;
	apic_eoi();
}

void ipi_init(void)
{
	idt_set_handler(VEC_CALL, call_interrupt);
	idt_set_handler(VEC_PING, ping_interrupt);
}

static bool claim_slot(struct call_slot *s, u64 deadline)
{
	for (;;) {
		u32 free = 0;
		if (__atomic_compare_exchange_n(&s->busy, &free, 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		if (rdtsc() > deadline)
			return false;
		cpu_relax();
	}
}

/* Returns 0 when fn ran on @cpu; -1 if @cpu is not online, or on timeout
 * (fn may then still run later). */
int smp_call_on(u32 cpu, ipi_fn_t fn, void *arg, u64 timeout_us)
{
	struct call_slot *s = &slots[cpu];
	u64 deadline = rdtsc() + tsc_from_us(timeout_us);
	u32 done;

	if (cpu == this_cpu()->cpu) {
		u64 flags = irq_save();
		fn(arg);
		irq_restore(flags);
		return 0;
	}
	if (cpu >= MAX_CPUS || !__atomic_load_n(&cpu_data(cpu)->online, __ATOMIC_ACQUIRE))
		return -1;
	if (!claim_slot(s, deadline))
		return -1;
	done = __atomic_load_n(&s->done, __ATOMIC_RELAXED);
	s->fn = fn;
	s->arg = arg;
	/* The xAPIC ICR write is an uncached store and x2APIC's wrmsr is not
	 * ordered at all: make the slot visible before the IPI can land. */
	smp_mb();
	apic_send_ipi(cpu_data(cpu)->apic_id, VEC_CALL);
	while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) == done) {
		if (rdtsc() > deadline)
			return -1;
		cpu_relax();
	}
	return 0;
}

int smp_call_start(u32 cpu, ipi_fn_t fn, void *arg, u64 timeout_us)
{
	struct call_slot *s = &slots[cpu];

	if (cpu >= MAX_CPUS || cpu == this_cpu()->cpu ||
	    !__atomic_load_n(&cpu_data(cpu)->online, __ATOMIC_ACQUIRE))
		return -1;
	if (!claim_slot(s, rdtsc() + tsc_from_us(timeout_us)))
		return -1;
	s->fn = fn;
	s->arg = arg;
	smp_mb();
	apic_send_ipi(cpu_data(cpu)->apic_id, VEC_CALL);
	return 0;
}

bool smp_call_busy(u32 cpu)
{
	return __atomic_load_n(&slots[cpu].busy, __ATOMIC_ACQUIRE) != 0;
}

u32 smp_run_on_all(u32 n, ipi_fn_t fn, void *arg, u64 timeout_us)
{
	u64 deadline;
	bool started[MAX_CPUS] = {false};
	u32 late = 0;

	for (u32 cpu = 1; cpu < n && cpu < MAX_CPUS; cpu++)
		started[cpu] = smp_call_start(cpu, fn, arg, timeout_us) == 0;
	fn(arg);
	deadline = rdtsc() + tsc_from_us(timeout_us);
	for (u32 cpu = 1; cpu < n && cpu < MAX_CPUS; cpu++) {
		while (started[cpu] && smp_call_busy(cpu) && rdtsc() < deadline)
			cpu_relax();
		late += !started[cpu] || smp_call_busy(cpu);
	}
	return late;
}

void ipi_ping(u32 cpu)
{
	apic_send_ipi(cpu_data(cpu)->apic_id, VEC_PING);
}
