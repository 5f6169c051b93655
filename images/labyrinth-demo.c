/*
 * The default demo: every vCPU allocates and frees pages
 * from its timer interrupt for secs=S seconds (default 3), then one line:
 *   labyrinth-demo: vcpus=N irq_allocs=N claimed=N released=N violations=N p50_ns=N p99_ns=N
 * and the BENCH lines guest.irq_alloc.p50/p99 and guest.magazine_hit_rate.
 * Exit 0 iff violations == 0 (a leak, claimed != released, counts as one).
 */
#include "bootinfo.h"
#include "irqalloc.h"
#include "kernel.h"
#include "page_alloc.h"
#include "printf.h"
#include "smp.h"
#include "timer.h"

#define HZ 100

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
	irqalloc_run(n, secs * 1000000, &r);
	printf("labyrinth-demo: %lu frees, %lu NULLs in interrupt context, %u of %u cpus "
	       "allocated, %lu rooms from the reserve\n", r.frees, r.nulls, r.cpus_ticked, n,
	       page_alloc_reserve_claims);
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
