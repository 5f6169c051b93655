/*
 * Brings up every CPU (each prints "cpu N online"), starts the timer on all
 * of them by IPI, lets them tick for a short while, pings each AP with an
 * IPI, and exits 0 only if every CPU ticked and answered.
 */
#include "tsc.h"
#include "ipi.h"
#include "kernel.h"
#include "percpu.h"
#include "printf.h"
#include "smp.h"
#include "timer.h"
#include "x86.h"

#define HZ 100
#define RUN_US 300000
#define CALL_TIMEOUT_US 500000

static int on_every_cpu(u32 n, ipi_fn_t fn, const char *what)
{
	int failed = 0;

	for (u32 cpu = 0; cpu < n; cpu++) {
		if (smp_call_on(cpu, fn, NULL, CALL_TIMEOUT_US)) {
			printf("FAIL: %s on cpu %u timed out\n", what, cpu);
			failed++;
		}
	}
	return failed;
}

static int check_cpus(u32 n)
{
	int failed = 0;

	for (u32 cpu = 0; cpu < n; cpu++) {
		struct percpu *p = cpu_data(cpu);
		u64 pings = READ_ONCE(p->ipi_pings);
		printf("cpu %u: apic %u ticks %lu pings %lu\n", cpu, p->apic_id,
		       READ_ONCE(p->timer_ticks), pings);
		if (!READ_ONCE(p->timer_ticks) || (cpu && !pings))
			failed++;
	}
	return failed;
}

int main(void)
{
	u32 n = smp_init();
	int failed;

	timer_setup(HZ);
	failed = on_every_cpu(n, timer_start_call, "timer start");
	timer_idle_us(RUN_US);
	failed += on_every_cpu(n, timer_stop_call, "timer stop");
	for (u32 cpu = 1; cpu < n; cpu++)
		ipi_ping(cpu);
	udelay(20000);
	failed += check_cpus(n);
	printf("smp-hello: %u cpus, timer %s at %u Hz, %s\n", n,
	       timer_uses_tsc_deadline() ? "tsc-deadline" : "periodic", HZ,
	       failed ? "FAILED" : "all ticked and answered IPIs");
	return failed ? 1 : 0;
}
