/*
 * AP bring-up. The boot CPU copies the trampoline (trampoline.S) to the
 * SIPI page, sends INIT to every AP, waits 10 ms, then two STARTUPs 200 us
 * apart (a CPU already running ignores the second). APs number themselves
 * in arrival order (ap_next_cpu, trampoline.S), so all of them can start
 * at once. With known APIC IDs (MADT, MP table) the IPIs are addressed;
 * otherwise they are broadcast to all-but-self and the boot CPU waits for
 * the count the command line gave, or until no CPU arrived for a while.
 */
#include "apic.h"
#include "bootinfo.h"
#include "tsc.h"
#include "cpus.h"
#include "exit.h"
#include "gdt.h"
#include "idt.h"
#include "ipi.h"
#include "layout.h"
#include "mem.h"
#include "percpu.h"
#include "printf.h"
#include "smp.h"
#include "x86.h"

#define SIPI_VECTOR (AP_TRAMPOLINE_PHYS >> 12)
/* CPUs arrive slowly here (real mode is emulated, many vCPUs share few
 * host CPUs: ~50 ms each measured with 64 on 2), so the wait grows with
 * the count it waits for. */
#define ARRIVAL_BASE_US 1000000
#define ARRIVAL_PER_CPU_US 250000
#define QUIET_US 200000		/* broadcast without a count: done when quiet this long */

u32 ap_next_cpu = 1;		/* trampoline.S: next CPU number to hand out */
static u32 cpus_online = 1;

extern const u8 ap_trampoline_start[], ap_trampoline_end[];

void __noreturn ap_main(u32 cpu);

void __noreturn ap_main(u32 cpu)
{
	struct percpu *p;

	percpu_init(cpu);
	p = this_cpu();
	gdt_init_cpu(p);
	idt_load();
	apic_init_cpu();
	printf("cpu %u online\n", cpu);
	__atomic_store_n(&p->online, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&cpus_online, 1, __ATOMIC_RELEASE);
	for (;;)
		safe_halt();	/* work arrives by IPI (ipi.h) and timer ticks */
}

u32 smp_num_cpus(void)
{
	return __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
}

static void send_to_aps(const struct cpu_census *c, u32 icr)
{
	u32 self = this_cpu()->apic_id;

	if (!c->ids_known) {
		apic_send_icr(0, icr | ICR_ALL_BUT_SELF);
		return;
	}
	for (u32 i = 0; i < c->count; i++)
		if (c->apic_ids[i] != self)
			apic_send_icr(c->apic_ids[i], icr);
}

static void wake_aps(const struct cpu_census *c)
{
	send_to_aps(c, ICR_INIT | ICR_ASSERT);
	udelay(10000);
	send_to_aps(c, ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	udelay(200);
	send_to_aps(c, ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
}

/* Waits for @expected CPUs (0: unknown, stop once arrivals go quiet). */
static void wait_for_aps(u32 expected)
{
	u64 start = rdtsc(), last = start;
	u64 timeout = tsc_from_us(ARRIVAL_BASE_US + ARRIVAL_PER_CPU_US * (expected ? expected : 8));
	u32 seen = smp_num_cpus();

	for (;;) {
		u32 now_online = smp_num_cpus();
		u64 t = rdtsc();
		if (expected && now_online >= expected)
			return;
		if (now_online != seen) {
			seen = now_online;
			last = t;
		}
		if (!expected && t - last > tsc_from_us(QUIET_US))
			return;
		if (t - start > timeout)
			return;
		cpu_relax();
	}
}

/*
 * APs take their number in the trampoline but count as online only at the
 * end of ap_main: let the ones in between finish, so that the CPUs online
 * are exactly 0..online-1. An AP that reaches the trampoline later still
 * gets a number, at or above the count smp_init returned.
 */
static void settle_numbers(void)
{
	u64 end = rdtsc() + tsc_from_us(ARRIVAL_BASE_US);

	while (smp_num_cpus() < __atomic_load_n(&ap_next_cpu, __ATOMIC_ACQUIRE) &&
	       rdtsc() < end)
		cpu_relax();
}

static bool install_trampoline(void)
{
	size_t len = (size_t)(ap_trampoline_end - ap_trampoline_start);

	if (!bootinfo_is_ram(AP_TRAMPOLINE_PHYS, 0x1000))
		return false;
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE_PHYS, ap_trampoline_start, len);
	return true;
}

u32 smp_init(void)
{
	struct cpu_census census;
	u32 expected, online;

	apic_init_cpu();
	tsc_calibrate();
	ipi_init();
	this_cpu()->online = 1;
	printf("cpu 0 online\n");
	cpus_discover(&census);
	expected = census.count;
	if (expected == 1)
		return 1;
	if (!install_trampoline()) {
		printf("smp: no RAM at 0x%x for the AP trampoline, staying on one CPU\n",
		       AP_TRAMPOLINE_PHYS);
		return 1;
	}
	wake_aps(&census);
	wait_for_aps(expected);
	settle_numbers();
	online = smp_num_cpus();
	printf("smp: %u cpus online (expected %u, discovery %s, %s, tsc %lu Hz from %s)\n",
	       online, expected, census.source,
	       apic_is_x2apic() ? "x2apic" : "xapic", clock.tsc_hz, clock.source);
	if (expected && online != expected)
		printf("smp: warning: %u cpus did not come up\n", expected - online);
	return online;
}
