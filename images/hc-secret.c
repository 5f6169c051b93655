/*
 * Scrubbing between guests, run as two VMs on one
 * labyrinth by the host test:
 *   write  claim every room it can (CLAIM 512, GFP_ATOMIC, until ENOMEM),
 *          fill each entirely with SECRET, release them all
 *   read   claim every room likewise; every word of every room must be 0
 * Prints "hc-secret: wrote N rooms" or "hc-secret: read N rooms, dirty=D";
 * exits 0 only if all went well (and, for read, D == 0).
 * Rooms are filled and scanned with one string instruction each: under
 * this host's emulator that is far cheaper than a loop.
 */
#include "bootinfo.h"
#include "tsc.h"
#include "hypercall.h"
#include "kernel.h"
#include "mem.h"
#include "printf.h"
#include "smp.h"
#include "x86.h"

#define SECRET 0x5345435245545321ull	/* "SECRET S!" read as a little-endian word */
#define ROOM_WORDS (LAB_ROOM_SIZE / 8)
#define MAX_ROOMS (1u << 16)
#define TIME_LIMIT_US 20000000ull

static u64 rooms[MAX_ROOMS];

/* Claims until ENOMEM; returns how many rooms are held, or -1. */
static long claim_all(u64 deadline)
{
	u32 n = 0;

	while (n < MAX_ROOMS && rdtsc() < deadline) {
		u32 want = MAX_ROOMS - n < LAB_HC_BATCH_MAX ? MAX_ROOMS - n : LAB_HC_BATCH_MAX;
		int64_t rc = hc_claim(LAB_HC_GFP_ATOMIC, want, rooms + n);
		if (rc == LAB_HC_ENOMEM)
			return n;
		if (rc <= 0) {
			printf("hc-secret: CLAIM %u failed: %ld\n", want, rc);
			return -1;
		}
		n += (u32)rc;
	}
	printf("hc-secret: stopped claiming at %u rooms (%s)\n", n,
	       n == MAX_ROOMS ? "the image's limit" : "time limit");
	return n;
}

static int release_all(u32 n)
{
	for (u32 i = 0; i < n; i += LAB_HC_BATCH_MAX) {
		u32 k = n - i < LAB_HC_BATCH_MAX ? n - i : LAB_HC_BATCH_MAX;
		int64_t rc = hc_release(k, rooms + i);
		if (rc) {
			printf("hc-secret: RELEASE %u failed: %ld\n", k, rc);
			return -1;
		}
	}
	return 0;
}

static int do_write(u64 deadline)
{
	long n = claim_all(deadline);
	u64 t0 = rdtsc();

	if (n < 0)
		return 1;
	for (long i = 0; i < n; i++)
		memset64((void *)(uintptr_t)rooms[i], SECRET, ROOM_WORDS);
	printf("hc-secret: filled %ld rooms in %lu us\n", n,
	       (rdtsc() - t0) * 1000000 / clock.tsc_hz);
	if (release_all((u32)n))
		return 1;
	printf("hc-secret: wrote %ld rooms\n", n);
	return n > 0 ? 0 : 1;
}

static int do_read(u64 deadline)
{
	long n = claim_all(deadline);
	u64 t0 = rdtsc();
	u32 dirty = 0;

	if (n < 0)
		return 1;
	for (long i = 0; i < n; i++) {
		const u64 *p = (const u64 *)(uintptr_t)rooms[i];
		size_t w = memscan64_ne(p, 0, ROOM_WORDS);
		if (w == ROOM_WORDS)
			continue;
		if (dirty++ < 8)
			printf("hc-secret: room 0x%lx word %zu is 0x%lx%s\n", rooms[i], w, p[w],
			       p[w] == SECRET ? " (the secret)" : "");
	}
	printf("hc-secret: scanned %ld rooms in %lu us\n", n,
	       (rdtsc() - t0) * 1000000 / clock.tsc_hz);
	if (release_all((u32)n))
		return 1;
	printf("hc-secret: read %ld rooms, dirty=%u\n", n, dirty);
	return n > 0 && !dirty ? 0 : 1;
}

int main(void)
{
	int rc = lab_connect();
	u64 deadline;

	if (rc) {
		printf("hc-secret: no labyrinth (rc %d)\n", rc);
		return 1;
	}
	smp_init();	/* calibrates the clock */
	deadline = rdtsc() + tsc_from_us(TIME_LIMIT_US);
	if (cmdline_has("write"))
		return do_write(deadline);
	if (cmdline_has("read"))
		return do_read(deadline);
	printf("hc-secret: command line must say write or read\n");
	return 1;
}
