/*
 * The hypercall round trip seen from the guest with the TSC, for
 * information: kernel code is emulated here, so these time the
 * emulator as much as the design). Prints
 *   BENCH hc.null <ns> ns             median of up to 2000 NULL calls
 *   BENCH hc.claim1 <ns> ns           median CLAIM 1 (release unmeasured), up to 500
 *   BENCH hc.touch.per_room <ns> ns   first write to each of 64 fresh rooms / 64,
 *                                     median of up to 20 rounds
 *   BENCH hc.district.claim_release <ns> ns
 *                                     CLAIM_DISTRICT 1 + RELEASE_DISTRICT 1,
 *   BENCH hc.district.rooms512.claim_release <ns> ns
 *                                     and its control, the same 512 rooms
 *                                     as 8 CLAIM 64 + 8 RELEASE 64, taking
 *                                     turns, medians of up to 200 rounds;
 *                                     then their ratio (rooms512_over_district)
 * then runs up to 100 rounds of CLAIM 64 + RELEASE 64 for the monitor's
 * --hc-stats. Every phase also stops at its own time limit (~5 s in all).
 */
#include "tsc.h"
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

#define DISTRICT_ROUNDS 200
#define DISTRICT_ROOMS LAB_HC_DISTRICT_ROOMS

static u64 control[DISTRICT_ROUNDS];
static u64 rooms512[DISTRICT_ROOMS];

/* One district claimed and released whole: TSC ticks, 0 on a failure. */
static u64 district_round(void)
{
	u64 t0 = rdtsc(), gpa;

	if (!check(hc_claim_district(LAB_HC_GFP_NORMAL, 1, &gpa), 1, "CLAIM_DISTRICT 1") ||
	    !check(hc_release_district(1, &gpa), LAB_HC_OK, "RELEASE_DISTRICT 1"))
		return 0;
	return rdtsc() - t0;
}

/* The control: 512 rooms in batches of 64 each way. */
static u64 rooms512_round(void)
{
	u64 t0 = rdtsc();

	for (u32 i = 0; i < DISTRICT_ROOMS; i += BATCH)
		if (!check(hc_claim(LAB_HC_GFP_NORMAL, BATCH, rooms512 + i), BATCH, "CLAIM 64"))
			return 0;
	for (u32 i = 0; i < DISTRICT_ROOMS; i += BATCH)
		if (!check(hc_release(BATCH, rooms512 + i), LAB_HC_OK, "RELEASE 64"))
			return 0;
	return rdtsc() - t0;
}

static void bench_district(void)
{
	u64 end = rdtsc() + tsc_from_us(PHASE_US), whole, single;
	size_t n = 0;

	while (n < DISTRICT_ROUNDS && rdtsc() < end) {
		samples[n] = district_round();
		control[n] = rooms512_round();
		if (!samples[n] || !control[n])
			break;
		n++;
	}
	print_bench("hc.district.claim_release", samples, n);
	print_bench("hc.district.rooms512.claim_release", control, n);
	if (!n)
		return;
	whole = percentile_u64(samples, n, 50);
	single = percentile_u64(control, n, 50);
	printf("BENCH hc.district.rooms512_over_district %lu.%02lu x\n", single / whole,
	       single * 100 / whole % 100);
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
	bench_district();
	batch_rounds();
	return failures ? 1 : 0;
}
