/* Whole districts (district_alloc.h): one call each way, no cache. A district
 * is rare and large, so a magazine of them would keep 2 MiB from other
 * guests for nothing; a claim that finds none gives back this CPU's
 * magazine once (its rooms may be all that keeps a district from being
 * whole) and asks again. */
#include "district_alloc.h"
#include "hypercall.h"
#include "percpu.h"

static void *claim_one(gfp_t gfp)
{
	u64 gpa;

	return hc_claim_district(gfp & GFP_ATOMIC ? LAB_HC_GFP_ATOMIC : LAB_HC_GFP_NORMAL, 1,
				 &gpa) == 1 ? (void *)(uintptr_t)gpa : NULL;
}

/* This CPU's magazine given back: whether it kept any room. */
static bool gave_back_magazine(void)
{
	u32 cpu = this_cpu()->cpu, cached;
	struct lab_mag_stats st;

	page_alloc_stats(cpu, &st, &cached);
	return cached && page_alloc_flush(cpu) == 0;
}

void *alloc_district(gfp_t gfp)
{
	void *d = claim_one(gfp);

	if (d || !gave_back_magazine())
		return d;
	return claim_one(gfp);
}

void *alloc_district_exclusive(void)
{
	void *d = alloc_district(GFP_ATOMIC);

	if (!d)
		hc_panic(LAB_NO_EXIT);
	return d;
}

void free_district(void *district)
{
	u64 gpa = (u64)(uintptr_t)district;

	if (hc_release_district(1, &gpa) != LAB_HC_OK)
		hc_panic("Labyrinth free_district failed: bad district");
}
