/*
 * The in-guest test suite (kernel part). Lines: PASS:/FAIL:/SKIP:, then
 * SUMMARY; exit status 0 only if nothing failed. Loops are bounded by time,
 * not counts: kernel code runs emulated here at ~2 million instructions/s.
 * The labyrinth cases (allocation over the hypercall) SKIP when the port
 * does not answer (QEMU, no labyrinth).
 */
#include "bootinfo.h"
#include "tsc.h"
#include "district_alloc.h"
#include "hypercall.h"
#include "ipi.h"
#include "irqalloc.h"
#include "ivshmem.h"
#include "kernel.h"
#include "mem.h"
#include "page_alloc.h"
#include "percpu.h"
#include "printf.h"
#include "probe.h"
#include "report.h"
#include "smp.h"
#include "sort.h"
#include "timer.h"
#include "window.h"
#include "x86.h"

#define HZ 100
#define TICK_WINDOW_US 200000
#define CALL_TIMEOUT_US 500000
#define UNMAPPED 0x8000000000ull

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
	/* 512 GiB: above the identity map and the room window (at 4 GiB). */
	u64 rc = probe_read(UNMAPPED, &val);

	report(rc == 14 + 1 && probe_last.cr2 == UNMAPPED,
	       "read of unmapped 0x%llx is caught as #PF with CR2 (vector %lu, cr2 0x%lx)",
	       UNMAPPED, rc - 1, probe_last.cr2);
	rc = probe_read(0x8000000000000000ull, &val);
	report(rc == 13 + 1, "non-canonical read is caught as #GP (vector %lu)", rc - 1);
	rc = probe_read((u64)(uintptr_t)&val, &val);
	report(rc == 0, "probe of mapped memory reads it");
}

static void test_timer(u32 n)
{
	u64 before[MAX_CPUS];
	u32 ticked = 0;
	int started = 0;

	for (u32 cpu = 0; cpu < n; cpu++) {
		before[cpu] = READ_ONCE(cpu_data(cpu)->timer_ticks);
		started += smp_call_on(cpu, timer_start_call, NULL, CALL_TIMEOUT_US) == 0;
	}
	timer_idle_us(TICK_WINDOW_US);
	for (u32 cpu = 0; cpu < n; cpu++) {
		smp_call_on(cpu, timer_stop_call, NULL, CALL_TIMEOUT_US);
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

#define IRQ_ALLOC_US 1200000
#define EXHAUST_US 10000000
/* Each page costs some 85 us here (emulated kernel, mailbox round trips
 * per 64): a guest on 1 GiB of devices needs more than EXHAUST_US. */
#define EXHAUST_US_PER_ROOM 200

static void test_irq_alloc(u32 n)
{
	struct irqalloc_result r;

	irqalloc_run(n, IRQ_ALLOC_US, &r);
	report(r.cpus_ticked == n && r.allocs > 0,
	       "labyrinth: alloc_page(GFP_ATOMIC) from timer interrupts on %u of %u cpus at once "
	       "for %u ms (%lu allocations)", r.cpus_ticked, n, IRQ_ALLOC_US / 1000, r.allocs);
	report(r.frees > 0 && r.frees == r.allocs,
	       "labyrinth: __free_page from interrupt context (%lu frees of %lu)", r.frees,
	       r.allocs);
	report(r.violations == 0,
	       "labyrinth: patterns naming the cpu intact, no room handed out twice, nothing "
	       "leaked (%lu violations, claimed %lu released %lu)", r.violations, r.claimed,
	       r.released);
	report(r.mag_allocs && r.mag_hits * 100 / r.mag_allocs >= 50,
	       "labyrinth: magazine serves most allocations (%lu of %lu)", r.mag_hits,
	       r.mag_allocs);
}

static void flush_here(void *arg)
{
	(void)arg;
	page_alloc_flush(this_cpu()->cpu);
}

static struct page *remote_page;

static void remote_alloc(void *arg)
{
	struct page *p = alloc_page(GFP_ATOMIC);

	(void)arg;
	if (p)
		memset64(page_address(p), 0x5245404f54450000ull | this_cpu()->cpu, PAGE_SIZE / 8);
	remote_page = p;
}

static void test_remote_alloc(u32 n)
{
	u64 want = 0x5245404f54450000ull | 1;
	bool ok;

	if (n < 2) {
		report_skip("labyrinth: allocation by IPI on a remote cpu (one cpu only)");
		return;
	}
	remote_page = NULL;
	ok = smp_call_on(1, remote_alloc, NULL, CALL_TIMEOUT_US) == 0 && remote_page;
	report(ok && memscan64_ne(page_address(remote_page), want, PAGE_SIZE / 8) == PAGE_SIZE / 8,
	       "labyrinth: alloc_page by IPI on cpu 1, its pattern seen on cpu 0 (room %p)",
	       remote_page ? page_address(remote_page) : NULL);
	__free_page(remote_page);	/* freed on another cpu than it came from */
	report(page_alloc_flush(0) == 0, "labyrinth: page from cpu 1 freed and released on cpu 0");
	smp_call_on(1, flush_here, NULL, CALL_TIMEOUT_US);
}

static u64 rooms_free(void)
{
	struct lab_hc_info info;

	return hc_info(&info) == LAB_HC_OK ? info.rooms_free : ~0ull;
}

/* Allocates until NULL or the deadline, keeping the pages on a list
 * threaded through their own first word; returns how many. */
static u64 exhaust(gfp_t gfp, struct page **list, u64 deadline, bool *hit_null)
{
	u64 n = 0;

	*hit_null = false;
	while (rdtsc() < deadline) {
		struct page *p = alloc_page(gfp);
		if (!p) {
			*hit_null = true;
			break;
		}
		*(struct page **)page_address(p) = *list;
		*list = p;
		n++;
	}
	return n;
}

static void free_list(struct page *list)
{
	while (list) {
		struct page *next = *(struct page **)page_address(list);
		__free_page(list);
		list = next;
	}
}

/* Time to exhaust @free rooms, at least EXHAUST_US (~0: INFO failed). */
static u64 exhaust_budget_us(u64 free)
{
	if (free == ~0ull || free * EXHAUST_US_PER_ROOM < EXHAUST_US)
		return EXHAUST_US;
	return free * EXHAUST_US_PER_ROOM;
}

static void test_exhaustion(void)
{
	struct page *list = NULL;
	u64 free0 = rooms_free(), normal, atomic, left, calls, refills;
	u64 deadline = rdtsc() + tsc_from_us(exhaust_budget_us(free0));
	bool null_normal, null_atomic, null_again;
	struct lab_mag_stats before, after;
	u32 cached;

	normal = exhaust(GFP_NORMAL, &list, deadline, &null_normal);
	left = rooms_free();
	report(null_normal, "labyrinth: GFP_NORMAL exhaustion returns NULL without a hang "
	       "(%lu pages, %lu rooms were free)", normal, free0);
	report(left == lab_info.rooms_reserved || (null_normal && lab_info.rooms_reserved == 0),
	       "labyrinth: GFP_NORMAL stops at the reserve (%lu rooms left, %lu reserved)", left,
	       lab_info.rooms_reserved);
	page_alloc_stats(this_cpu()->cpu, &before, &cached);
	calls = hc_calls[this_cpu()->cpu];
	atomic = exhaust(GFP_ATOMIC, &list, deadline, &null_atomic);
	calls = hc_calls[this_cpu()->cpu] - calls;
	page_alloc_stats(this_cpu()->cpu, &after, &cached);
	refills = after.refills - before.refills;
	report(null_atomic && atomic == left && rooms_free() == 0,
	       "labyrinth: only GFP_ATOMIC uses the reserve (%lu pages from %lu left), then NULL",
	       atomic, left);
	/* Every call a refill of the magazine (a grant may be partial: the
	 * mailbox grants within a district), the refused one at the end, and
	 * more than one page a call: no call of one room, none refused first. */
	report(calls == refills + 1 && (atomic < 2 || refills < atomic),
	       "labyrinth: GFP_ATOMIC below the reserve's watermark costs one call per refill "
	       "(%lu calls, %lu refills for %lu pages)", calls, refills, atomic);
	exhaust(GFP_ATOMIC, &list, deadline, &null_again);
	report(null_again, "labyrinth: GFP_ATOMIC on an empty labyrinth returns NULL at once");
	free_list(list);
	page_alloc_flush(0);
	report(rooms_free() == free0, "labyrinth: every page freed and released (%lu free, was %lu)",
	       rooms_free(), free0);
}

/* Every word of @d zero? */
static bool district_zero(const void *d)
{
	return memscan64_ne(d, 0, DISTRICT_SIZE / 8) == DISTRICT_SIZE / 8;
}

/* Writes every page of @d (a page not held would stop the VM: status 74). */
static void district_fill(void *d, u64 v)
{
	for (u64 off = 0; off < DISTRICT_SIZE; off += PAGE_SIZE)
		*(volatile u64 *)((char *)d + off) = v + off;
}

/* Districts claimed until none is left (at most @max), then all freed. */
static u32 districts_exhaust(gfp_t gfp, u32 max)
{
	static void *held[256];
	u32 n = 0;

	while (n < max && n < 256 && (held[n] = alloc_district(gfp)))
		n++;
	for (u32 i = 0; i < n; i++)
		free_district(held[i]);
	return n;
}

/* Can a district be lent whole here?  Under our monitor, yes; over
 * ivshmem, only by a device of two districts or more (its first one holds
 * the mailbox's rooms). */
static bool districts_possible(void)
{
	u64 base, size;
	u32 first, mailbox;

	if (!lab_over_ivshmem())
		return true;
	for (u32 j = 0; ivshmem_device_info(j, &base, &size, &first, &mailbox); j++)
		if (size >= 2 * DISTRICT_SIZE)
			return true;
	return false;
}

static void test_districts(void)
{
	u64 free0 = rooms_free(), gpa, after;
	void *d = alloc_district(GFP_NORMAL);

	if (!districts_possible()) {
		report(!d && rooms_free() == free0,
		       "labyrinth: no district from extents of one district (their mailbox's)");
		return;
	}
	report(d && (uintptr_t)d % DISTRICT_SIZE == 0 &&
	       (u64)(uintptr_t)d - lab_info.window_base < lab_info.window_size,
	       "labyrinth: alloc_district gives a 2 MiB-aligned district of the window (%p)", d);
	if (!d)
		return;
	report(district_zero(d), "labyrinth: every byte of a new district is zero");
	after = rooms_free();
	report(after + LAB_HC_DISTRICT_ROOMS <= free0,
	       "labyrinth: a district takes 512 rooms (%lu free, was %lu)", after, free0);
	district_fill(d, 0x5eed);
	gpa = (u64)(uintptr_t)d + 17 * PAGE_SIZE;
	report(hc_release(1, &gpa) == LAB_HC_EBUSY && rooms_free() == after,
	       "labyrinth: one page of a district is not released alone (EBUSY)");
	report(hc_release_district(1, &gpa) == LAB_HC_EINVAL && rooms_free() == after,
	       "labyrinth: RELEASE_DISTRICT of an address inside a district is EINVAL");
	district_fill(d, 0xfeed);	/* all of it still ours */
	free_district(d);
	report(rooms_free() >= after + LAB_HC_DISTRICT_ROOMS,
	       "labyrinth: free_district gives its 512 rooms back");
	gpa = (u64)(uintptr_t)d;
	report(hc_release_district(1, &gpa) == LAB_HC_EALREADY,
	       "labyrinth: a district freed twice is EALREADY");
	d = alloc_district(GFP_NORMAL);
	report(d && district_zero(d), "labyrinth: a district claimed again is zero (%p)", d);
	if (d)
		free_district(d);
	u32 normal = districts_exhaust(GFP_NORMAL, ~0u);
	report(normal >= 1 && (u64)normal * LAB_HC_DISTRICT_ROOMS <= free0 - lab_info.rooms_reserved,
	       "labyrinth: GFP_NORMAL districts stop at the reserve (%u districts, %lu rooms free, "
	       "%lu reserved)", normal, free0, lab_info.rooms_reserved);
	page_alloc_flush(this_cpu()->cpu);
	report(rooms_free() == free0, "labyrinth: every district given back (%lu free, was %lu)",
	       rooms_free(), free0);
}

#define BENCH_ROUNDS 64

/* For information: a CLAIM of one room over the ivshmem mailbox, seen from
 * here (this kernel runs emulated, so this says little about the server;
 * the server's own time is `labyrinth serve --stats`). */
static void bench_ivshmem(void)
{
	static u64 many[64];
	u64 t[BENCH_ROUNDS], t64[BENCH_ROUNDS], room;
	u32 n = 0, m = 0;

	for (u32 i = 0; i < BENCH_ROUNDS; i++) {
		u64 t0 = rdtsc();
		if (hc_claim(LAB_HC_GFP_NORMAL, 1, &room) != 1)
			break;
		t[n++] = rdtsc() - t0;
		hc_release(1, &room);
	}
	for (u32 i = 0; i < BENCH_ROUNDS / 4; i++) {
		u64 t0 = rdtsc();
		if (hc_claim(LAB_HC_GFP_NORMAL, 64, many) != 64)
			break;
		t64[m++] = (rdtsc() - t0) / 64;
		hc_release(64, many);
	}
	if (n) {
		sort_u64(t, n);
		printf("BENCH ivshmem.claim1 %lu ns\n", (u64)(t[n / 2] * 1000000000ull / clock.tsc_hz));
	}
	if (m) {
		sort_u64(t64, m);
		printf("BENCH ivshmem.claim64.per_room %lu ns\n",
		       (u64)(t64[m / 2] * 1000000000ull / clock.tsc_hz));
	}
}

static void test_labyrinth(u32 n, int rc)
{
	if (rc == LAB_HC_ENOSYS) {
		report_skip("labyrinth: no labyrinth (no hypercall port, no labyrinth device)");
		report_skip("labyrinth: allocation from timer interrupts on every cpu");
		report_skip("labyrinth: allocation by IPI on a remote cpu");
		report_skip("labyrinth: exhaustion returns NULL; only GFP_ATOMIC uses the reserve");
		report_skip("labyrinth: districts");
		return;
	}
	report(rc == 0, "labyrinth: INFO and window mapping (rc %d)", rc);
	if (rc)
		return;
	report(!(window_pte(lab_info.window_base) & PTE_U),
	       "labyrinth: room window mapped supervisor-only");
	/* Exhaustion first, while only this vCPU has claimed: the labyrinth
	 * lends a district to one vCPU at a time, so rooms in a district
	 * another vCPU's cursor holds are not claimable from here. */
	test_exhaustion();
	test_districts();
	test_irq_alloc(n);
	test_remote_alloc(n);
	if (lab_over_ivshmem())
		bench_ivshmem();
}

/* The labyrinth room a device's address is (the device's extent). */
static u32 labyrinth_room(u64 gpa)
{
	u64 base, size;
	u32 first, mailbox;

	for (u32 j = 0; ivshmem_device_info(j, &base, &size, &first, &mailbox); j++)
		if (gpa >= base && gpa - base < size)
			return first + (u32)((gpa - base) / LAB_ROOM_SIZE);
	return ~0u;
}

#define PRESSURE_WAIT_US 2000000
#define PRESSURE_IDLE_US 10000

/* This CPU's magazine keeps a batch, for a pressure interrupt to take
 * (only with a pressure vector: else the batch would stay out of the hold). */
static void prime_magazine(void)
{
	struct page *p[MAG_BATCH];
	u32 n = 0;

	while (n < MAG_BATCH && (p[n] = alloc_page(GFP_NORMAL)))
		n++;
	while (n)
		__free_page(p[--n]);
}

/* With a pressure vector (two MSI-X vectors), an extent filled by the hold
 * rings it: the handler gives back what the magazine kept.  This kernel's
 * main line runs with interrupts off, so the interrupt waits pending:
 * idle with the tick on (a halt is where a pending interrupt is surely
 * taken; the tick bounds it) a while for it; returns the drains. */
static u64 pressure_drains(void)
{
	u64 deadline = rdtsc() + tsc_from_us(PRESSURE_WAIT_US);

	if (!lab_info.pressure_vector)
		return 0;
	timer_start();
	while (!READ_ONCE(page_alloc_pressure_drains) && rdtsc() < deadline)
		timer_idle_us(PRESSURE_IDLE_US);
	timer_stop();
	return READ_ONCE(page_alloc_pressure_drains);
}

/* `ivshmem.hold=N`: claims N rooms over every device and writes in each
 * the labyrinth room it is, for the host to find in the pool's files;
 * they are kept until the devices go. */
static void hold_rooms(u32 want)
{
	static u64 rooms[64];
	u32 held = 0;
	int64_t rc = 1;
	u64 drains;

	if (lab_info.pressure_vector)
		prime_magazine();

	while (held < want && rc > 0) {
		rc = hc_claim(LAB_HC_GFP_NORMAL, want - held < 64 ? want - held : 64, rooms);
		for (int64_t i = 0; i < rc; i++)
			snprintf((char *)(uintptr_t)rooms[i], 32, "labyrinth room %u",
				 labyrinth_room(rooms[i]));
		held += rc > 0 ? (u32)rc : 0;
	}
	drains = pressure_drains();
	printf("ivshmem: holding %u rooms on %u devices, each naming its room; "
	       "%lu pressure drains (%lu interrupts)\n", held, ivshmem_devices, drains,
	       READ_ONCE(hc_pressure_interrupts));
}

int main(void)
{
	u64 eject;
	int status;
	u32 n;
	/* Before smp_init: the APs start on page tables that map the window. */
	int lab = page_alloc_init();

	test_printf();
	test_faults();
	n = smp_init();
	report(n >= 1, "%u cpus online", n);
	timer_setup(HZ);
	test_timer(n);
	test_remote_call(n);
	test_labyrinth(n, lab);
	status = report_summary();
	/* Under libvirt the device is hot-detached after the suite: QEMU
	 * completes the detach only once we acknowledge the ACPI eject. */
	if (lab_over_ivshmem() && cmdline_get_u64("ivshmem.hold", 0))
		hold_rooms((u32)cmdline_get_u64("ivshmem.hold", 0));
	eject = cmdline_get_u64("ivshmem.eject", 0);
	if (eject && lab_over_ivshmem() && !lab_eject_wait(eject * 1000000))
		printf("ivshmem: no eject request in %lu s\n", eject);
	return status;
}
