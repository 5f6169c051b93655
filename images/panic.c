/*
 * The exclusive variant's failure path: allocate with
 * allocpage_gfp_atomic_exclusive() until the labyrinth, reserve included,
 * is empty; it then ends the VM through LAB_HC_PANIC with "Sorry, the
 * labyrinth has no exit", which the monitor prints on stderr and turns
 * into status 75. If the rooms outlast the time limit, the image fails
 * (status 1). Best run on a small labyrinth (--rooms 1024). With
 * `--cmdline what=district` the same with alloc_district_exclusive().
 */
#include "bootinfo.h"
#include "tsc.h"
#include "district_alloc.h"
#include "hypercall.h"
#include "kernel.h"
#include "mem.h"
#include "page_alloc.h"
#include "printf.h"
#include "smp.h"
#include "x86.h"

#define TIME_LIMIT_US 20000000ull

int main(void)
{
	int rc = page_alloc_init();
	u64 end, n = 0;
	char what[16] = "room";
	bool districts;

	if (rc) {
		printf("panic: no labyrinth (rc %d)\n", rc);
		return 1;
	}
	smp_init();
	end = rdtsc() + tsc_from_us(TIME_LIMIT_US);
	printf("panic: allocating until the labyrinth (%lu rooms, %lu reserved) is empty\n",
	       lab_info.rooms_total, lab_info.rooms_reserved);
	cmdline_get("what", what, sizeof(what));
	districts = !strncmp(what, "district", sizeof(what));
	while (rdtsc() < end) {
		if (districts)
			alloc_district_exclusive();
		else
			allocpage_gfp_atomic_exclusive();
		if (++n % 1024 == 0 || districts)
			printf("panic: %lu %ss allocated\n", n, what);
	}
	printf("FAIL: still allocating after %lu %ss and %llu s\n", n, what,
	       TIME_LIMIT_US / 1000000);
	return 1;
}
