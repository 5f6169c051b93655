/*
 * A 10 ms window of PIT channel 2 (gated through port 0x61, mode 0, no
 * interrupt) measures both the TSC and the LAPIC timer; the median of three
 * windows is kept. Each poll of port 0x61 is a VM exit of a few
 * microseconds, well inside the window.
 * Without a PIT (port 0x61 reads back all ones, or never shows the output
 * rising) the TSC rate comes from CPUID leaf 0x15/0x16 instead.
 */
#include "apic.h"
#include "tsc.h"
#include "printf.h"
#include "sort.h"
#include "x86.h"

#define PIT_HZ 1193182ull
#define CALIBRATE_MS 10
#define PIT_OUT2 0x20
#define POLL_LIMIT 2000000

struct clock clock;

/* Returns TSC ticks over CALIBRATE_MS, 0 if the PIT did not answer sanely. */
static u64 pit_window(u32 *apic_counts)
{
	u32 latch = (u32)(PIT_HZ * CALIBRATE_MS / 1000);
	u64 t0, t1;
	u32 c0;
	long polls = 0;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* channel 2, lo/hi, mode 0 */
	outb(0x42, latch & 0xff);
	outb(0x42, latch >> 8);
	if (inb(0x61) & PIT_OUT2)
		return 0;			/* output already high: no PIT */
	apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV_16);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	c0 = apic_read(APIC_TIMER_CUR);
	t0 = rdtsc();
	while (!(inb(0x61) & PIT_OUT2))
		if (++polls > POLL_LIMIT)
			return 0;
	t1 = rdtsc();
	*apic_counts = c0 - apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);
	return t1 - t0;
}

static u64 cpuid_tsc_hz(void)
{
	u32 a, b, c, d, max;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c)
			return (u64)c * b / a;
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		if (a)
			return (u64)a * 1000000;
	}
	return 0;
}

#define WINDOWS 3

/* The median of WINDOWS windows, of each count: a vCPU the host stalls
 * inside one window (its last rdtsc late, or its first after the PIT had
 * started) skews that window only, not the rate every deadline uses. */
static u64 pit_median(u32 *apic_counts)
{
	u64 tsc[WINDOWS], apic[WINDOWS];

	for (u32 i = 0; i < WINDOWS; i++) {
		u32 counts = 0;

		tsc[i] = pit_window(&counts);
		if (!tsc[i])
			return 0;
		apic[i] = counts;
	}
	*apic_counts = (u32)percentile_u64(apic, WINDOWS, 50);
	return percentile_u64(tsc, WINDOWS, 50);
}

/* Needs the LAPIC enabled on this CPU (apic_init_cpu). */
void tsc_calibrate(void)
{
	u32 apic_counts = 0;
	u64 tsc = pit_median(&apic_counts);

	if (tsc) {
		clock.tsc_hz = tsc * 1000 / CALIBRATE_MS;
		clock.apic_timer_hz = (u64)apic_counts * 1000 / CALIBRATE_MS;
		clock.source = "pit";
		return;
	}
	clock.tsc_hz = cpuid_tsc_hz();
	clock.source = "cpuid";
	if (!clock.tsc_hz) {
		clock.tsc_hz = 1000000000ull;	/* a guess, said so below */
		clock.source = "guess";
	}
	printf("clock: no PIT, TSC %lu Hz from %s, no LAPIC periodic timer\n",
	       clock.tsc_hz, clock.source);
}

u64 tsc_ns(void)
{
	u64 t = rdtsc();

	/* Split to keep t * 1e9 from overflowing. */
	return t / clock.tsc_hz * 1000000000ull + (t % clock.tsc_hz) * 1000000000ull / clock.tsc_hz;
}

u64 tsc_from_us(u64 us)
{
	return clock.tsc_hz / 1000000 * us + clock.tsc_hz % 1000000 * us / 1000000;
}

void udelay(u64 us)
{
	u64 end = rdtsc() + tsc_from_us(us);

	while (rdtsc() < end)
		cpu_relax();
}
