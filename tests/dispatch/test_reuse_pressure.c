/* Under pressure a vCPU keeps no room it released for its own next claim:
 * another vCPU (or guest) that needs it now gets it, even if this vCPU
 * never calls again. An idle vCPU's reuse list would otherwise hide up to
 * LAB_REUSE rooms from every other claim, and GFP_ATOMIC would find NULL
 * (the fail-hard variant: "no exit") with rooms free. */
#include <criterion/criterion.h>
#include <string.h>

#include "two_transports.h"

#define BLOCK_GPA 0x100u
#define LIST_GPA 0x2000u

static struct two_transports two;

static int64_t call(unsigned vcpu, uint32_t nr, uint32_t flags, uint32_t n, uint64_t *list)
{
	struct lab_hc hc = {.call = nr, .flags = flags, .count = n, .rooms_gpa = LIST_GPA};
	int64_t rc;

	memcpy(two.ram + LIST_GPA, list, n * sizeof(*list));
	memcpy(two.ram + BLOCK_GPA, &hc, sizeof(hc));
	rc = port_out(&two.guest, vcpu, BLOCK_GPA);
	memcpy(list, two.ram + LIST_GPA, n * sizeof(*list));
	return rc;
}

/* vCPU @vcpu claims with @flags until a claim is refused: how many. */
static unsigned claim_all(unsigned vcpu, uint32_t flags)
{
	uint64_t list[LAB_HC_BATCH_MAX] = {0};
	unsigned total = 0;
	int64_t rc;

	while ((rc = call(vcpu, LAB_HC_CLAIM, flags, LAB_HC_BATCH_MAX, list)) > 0)
		total += (unsigned)rc;
	return total;
}

Test(reuse_pressure, rooms_released_under_pressure_are_anyones)
{
	uint64_t mine[32] = {0}, seen = 0;
	unsigned normal, atomic;
	bool now;

	cr_assert_eq(two_transports_init(&two), 0);
	normal = claim_all(0, LAB_HC_GFP_NORMAL);
	lab_pressure_poll(two.port_lab, &seen);
	lab_pressure_events(two.port_lab, &now);
	cr_assert(now, "under pressure once GFP_NORMAL is refused (%u claimed)", normal);
	cr_assert_eq(call(1, LAB_HC_CLAIM, LAB_HC_GFP_ATOMIC, 32, mine), 32);
	cr_assert_eq(call(1, LAB_HC_RELEASE, 0, 32, mine), 0);
	/* vCPU 1 calls no more. */
	atomic = claim_all(0, LAB_HC_GFP_ATOMIC);
	cr_assert_eq(normal + atomic, TWO_ROOMS,
		     "vCPU 0 claimed %u + %u of %u rooms: vCPU 1's released rooms were kept "
		     "from it", normal, atomic, TWO_ROOMS);
}
