/*
 * The in-guest test suite (kernel part). Lines: PASS:/FAIL:/SKIP:, then
 * SUMMARY; exit status 0 only if nothing failed. Loops are bounded by time,
 * not counts: kernel code runs emulated here at ~2 million instructions/s.
 * The labyrinth cases (allocation over the hypercall) are SKIP until the
 * guest side of the hypercall exists.
 */
#include "clock.h"
#include "ipi.h"
#include "kernel.h"
#include "mem.h"
#include "percpu.h"
#include "printf.h"
#include "probe.h"
#include "report.h"
#include "smp.h"
#include "timer.h"
#include "x86.h"

#define HZ 100
#define TICK_WINDOW_US 200000
#define CALL_TIMEOUT_US 500000

static bool formats(const char *want, const char *fmt, ...) __printf(2, 3);

static bool formats(const char *want, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strncmp(buf, want, sizeof(buf)))
		printf("  got \"%s\", want \"%s\"\n", buf, want);
	return !strncmp(buf, want, sizeof(buf));
}

static void test_printf(void)
{
	char small[4];

	report(formats("-42 42 4294967254", "%d %u %u", -42, 42u, (unsigned)-42), "printf %%d %%u");
	report(formats("ff FF 0x00ab", "%x %X 0x%04x", 255u, 255u, 0xabu), "printf %%x %%X width");
	report(formats("ffffffffffffffff -9223372036854775807", "%lx %ld", ~0ul,
		       -9223372036854775807l), "printf %%lx %%ld");
	report(formats("[ab  ] [  ab] c 0x1000", "[%-4s] [%4s] %c %p", "ab", "ab", 'c',
		       (void *)0x1000), "printf %%s %%c %%p");
	report(snprintf(small, sizeof(small), "%d", 12345) == 5 && !strncmp(small, "123", 4),
	       "snprintf truncates and returns the full length");
}

static void test_faults(void)
{
	u64 val = 0;
	u64 rc = probe_read(0x100000000ull, &val);

	report(rc == 14 + 1 && probe_last.cr2 == 0x100000000ull,
	       "read of unmapped 0x100000000 is caught as #PF with CR2 (vector %lu, cr2 0x%lx)",
	       rc - 1, probe_last.cr2);
	rc = probe_read(0x8000000000000000ull, &val);
	report(rc == 13 + 1, "non-canonical read is caught as #GP (vector %lu)", rc - 1);
	rc = probe_read((u64)(uintptr_t)&val, &val);
	report(rc == 0, "probe of mapped memory reads it");
}

static void start_tick(void *arg)
{
	(void)arg;
	timer_start();
}

static void stop_tick(void *arg)
{
	(void)arg;
	timer_stop();
}

static void wait_us(u64 us)
{
	u64 end = rdtsc() + tsc_from_us(us);

	while (rdtsc() < end)
		safe_halt();
	irq_disable();
}

static void test_timer(u32 n)
{
	u64 before[MAX_CPUS];
	u32 ticked = 0;
	int started = 0;

	for (u32 cpu = 0; cpu < n; cpu++) {
		before[cpu] = READ_ONCE(cpu_data(cpu)->timer_ticks);
		started += smp_call_on(cpu, start_tick, NULL, CALL_TIMEOUT_US) == 0;
	}
	wait_us(TICK_WINDOW_US);
	for (u32 cpu = 0; cpu < n; cpu++) {
		smp_call_on(cpu, stop_tick, NULL, CALL_TIMEOUT_US);
		ticked += READ_ONCE(cpu_data(cpu)->timer_ticks) > before[cpu];
	}
	report(started == (int)n, "timer started by IPI on %d of %u cpus", started, n);
	report(ticked == n, "timer (%s) ticked on %u of %u cpus in %u ms",
	       timer_uses_tsc_deadline() ? "tsc-deadline" : "periodic", ticked, n,
	       TICK_WINDOW_US / 1000);
}

static void record_cpu(void *arg)
{
	u32 *where = arg;

	where[this_cpu()->cpu] = this_cpu()->cpu + 1;
}

static void test_remote_call(u32 n)
{
	u32 seen[MAX_CPUS];
	u32 right = 0;

	memset(seen, 0, sizeof(seen));
	for (u32 cpu = 0; cpu < n; cpu++)
		smp_call_on(cpu, record_cpu, seen, CALL_TIMEOUT_US);
	for (u32 cpu = 0; cpu < n; cpu++)
		right += seen[cpu] == cpu + 1;
	report(right == n, "function call by IPI ran on the right cpu (%u of %u)", right, n);
	report(smp_call_on(MAX_CPUS - 1, record_cpu, seen, 1000) == -1 || n == MAX_CPUS,
	       "call to a cpu that is not online is refused");
}

static void test_labyrinth(void)
{
	report_skip("labyrinth: alloc_page(GFP_ATOMIC) from timer interrupts (no hypercall yet)");
	report_skip("labyrinth: exhaustion returns NULL (no hypercall yet)");
}

int main(void)
{
	u32 n;

	test_printf();
	test_faults();
	n = smp_init();
	report(n >= 1, "%u cpus online", n);
	timer_setup(HZ);
	test_timer(n);
	test_remote_call(n);
	test_labyrinth();
	return report_summary();
}
