/*
 * The default demo: every vCPU allocates and frees pages
 * from its timer interrupt for secs=S seconds (default 3), then one line:
 *   labyrinth-demo: vcpus=N irq_allocs=N claimed=N released=N violations=N p50_ns=N p99_ns=N
 * and the BENCH lines guest.irq_alloc.p50/p99 and guest.magazine_hit_rate.
 * Exit 0 iff violations == 0 (a leak, claimed != released, counts as one).
 * With hoard=1 instead: every vCPU fills its magazine (allocates 40 pages
 * and frees them, so 64 rooms stay cached) and then only idles for secs=S:
 * the rooms come back to the labyrinth only if a pressure interrupt asks.
 * Prints "labyrinth-demo: hoard: N magazines given back under pressure".
 */
#include "bootinfo.h"
#include "tsc.h"
#include "ipi.h"
#include "irqalloc.h"
#include "kernel.h"
#include "page_alloc.h"
#include "printf.h"
#include "smp.h"
#include "timer.h"
#include "x86.h"

#define HZ 100
#define HOARD_PAGES 40

static void hoard(void *arg)
{
	struct page *pages[HOARD_PAGES];
	u32 n = 0;

	(void)arg;
	while (n < HOARD_PAGES && (pages[n] = alloc_page(GFP_NORMAL)))
		n++;
	while (n)
		__free_page(pages[--n]);
}

static int hoard_and_idle(u32 n, u64 secs)
{
	u64 deadline;

	smp_run_on_all(n, hoard, NULL, 10000000);
	deadline = rdtsc() + tsc_from_us(secs * 1000000);
	while (rdtsc() < deadline)
		safe_halt();
	printf("labyrinth-demo: hoard: %lu magazines given back under pressure\n",
	       page_alloc_pressure_drains);
	return 0;
}

int main(void)
{
	u64 secs = cmdline_get_u64("secs", 3);
	struct irqalloc_result r;
	int rc = page_alloc_init();
	u32 n;

	if (rc) {
		printf("labyrinth-demo: no labyrinth (rc %d): run it under ./vmm\n", rc);
		return 1;
	}
	n = smp_init();
	timer_setup(HZ);
	if (cmdline_get_u64("hoard", 0))
		return hoard_and_idle(n, secs);
	irqalloc_run(n, secs * 1000000, &r);
	printf("labyrinth-demo: %lu frees, %lu NULLs in interrupt context, %u of %u cpus "
	       "allocated, %lu rooms refilled for GFP_ATOMIC (the reserve may be among them), %lu "
	       "magazines given back under pressure\n",
	       r.frees, r.nulls, r.cpus_ticked, n, page_alloc_atomic_rooms,
	       page_alloc_pressure_drains);
	printf("BENCH guest.irq_alloc.p50 %lu ns\n", r.p50_ns);
	printf("BENCH guest.irq_alloc.p99 %lu ns\n", r.p99_ns);
	printf("BENCH guest.magazine_hit_rate %lu.%lu %%\n",
	       r.mag_allocs ? r.mag_hits * 100 / r.mag_allocs : 0,
	       r.mag_allocs ? r.mag_hits * 1000 / r.mag_allocs % 10 : 0);
	printf("labyrinth-demo: vcpus=%u irq_allocs=%lu claimed=%lu released=%lu violations=%lu "
	       "p50_ns=%lu p99_ns=%lu\n", n, r.allocs, r.claimed, r.released, r.violations,
	       r.p50_ns, r.p99_ns);
	return r.violations ? 1 : 0;
}
