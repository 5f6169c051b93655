/*
 * The hypercall round trip seen from the guest with the TSC, for
 * information: kernel code is emulated here, so these time the
 * emulator as much as the design). Prints
 *   BENCH hc.null <ns> ns             median of up to 2000 NULL calls
 *   BENCH hc.claim1 <ns> ns           median CLAIM 1 (release unmeasured), up to 500
 *   BENCH hc.touch.per_room <ns> ns   first write to each of 64 fresh rooms / 64,
 *                                     median of up to 20 rounds
 * then runs up to 100 rounds of CLAIM 64 + RELEASE 64 for the monitor's
 * --hc-stats. Every phase also stops at its own time limit (~5 s in all).
 */
#include "clock.h"
#include "hypercall.h"
#include "kernel.h"
#include "printf.h"
#include "smp.h"
#include "sort.h"
#include "x86.h"

#define NULL_CALLS 2000
#define CLAIM1_CALLS 500
#define TOUCH_ROUNDS 20
#define BATCH_ROUNDS 100
#define BATCH 64
#define PHASE_US 1200000ull

static u64 samples[NULL_CALLS];
static u64 rooms[BATCH];
static int failures;

static u64 ns(u64 tsc)
{
	return tsc * 1000000000ull / clock.tsc_hz;
}

static void print_bench(const char *name, u64 *v, size_t n)
{
	if (!n) {
		printf("hc-bench: no samples for %s\n", name);
		failures++;
		return;
	}
	printf("BENCH %s %lu ns\n", name, ns(percentile_u64(v, n, 50)));
}

static bool check(int64_t rc, int64_t want, const char *what)
{
	if (rc == want)
		return true;
	printf("hc-bench: %s returned %ld, want %ld\n", what, rc, want);
	failures++;
	return false;
}

static void bench_null(void)
{
	u64 end = rdtsc() + tsc_from_us(PHASE_US);
	size_t n = 0;

	while (n < NULL_CALLS && rdtsc() < end) {
		u64 t0 = rdtsc();
		int64_t rc = hc_null();
		samples[n++] = rdtsc() - t0;
		if (!check(rc, LAB_HC_OK, "NULL"))
			break;
	}
	print_bench("hc.null", samples, n);
}

static void bench_claim1(void)
{
	u64 end = rdtsc() + tsc_from_us(PHASE_US);
	size_t n = 0;

	while (n < CLAIM1_CALLS && rdtsc() < end) {
		u64 t0 = rdtsc();
		int64_t rc = hc_claim(LAB_HC_GFP_NORMAL, 1, rooms);
		samples[n++] = rdtsc() - t0;
		if (!check(rc, 1, "CLAIM 1") || !check(hc_release(1, rooms), LAB_HC_OK, "RELEASE 1"))
			break;
	}
	print_bench("hc.claim1", samples, n);
}

static void bench_touch(void)
{
	u64 end = rdtsc() + tsc_from_us(PHASE_US);
	size_t n = 0;

	while (n < TOUCH_ROUNDS && rdtsc() < end) {
		u64 t0;
		if (!check(hc_claim(LAB_HC_GFP_NORMAL, BATCH, rooms), BATCH, "CLAIM 64"))
			break;
		t0 = rdtsc();
		for (u32 i = 0; i < BATCH; i++)
			*(volatile u64 *)(uintptr_t)rooms[i] = i;
		samples[n++] = (rdtsc() - t0) / BATCH;
		if (!check(hc_release(BATCH, rooms), LAB_HC_OK, "RELEASE 64"))
			break;
	}
	print_bench("hc.touch.per_room", samples, n);
}

static void batch_rounds(void)
{
	u64 t0 = rdtsc(), end = t0 + tsc_from_us(PHASE_US);
	u32 n = 0;

	while (n < BATCH_ROUNDS && rdtsc() < end) {
		if (!check(hc_claim(LAB_HC_GFP_NORMAL, BATCH, rooms), BATCH, "CLAIM 64") ||
		    !check(hc_release(BATCH, rooms), LAB_HC_OK, "RELEASE 64"))
			break;
		n++;
	}
	printf("hc-bench: %u rounds of CLAIM 64 + RELEASE 64, %lu ns per round\n", n,
	       n ? ns(rdtsc() - t0) / n : 0);
}

int main(void)
{
	int rc = lab_connect();

	if (rc) {
		printf("hc-bench: no labyrinth (rc %d)\n", rc);
		return 1;
	}
	smp_init();	/* calibrates the TSC */
	bench_null();
	bench_claim1();
	bench_touch();
	batch_rounds();
	return failures ? 1 : 0;
}
