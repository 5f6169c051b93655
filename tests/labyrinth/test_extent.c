// SPDX-License-Identifier: MIT
/*
 * test_extent.c - the core's part of lending extents (shared/extent.c):
 * claims within a lent run stay there, and never reach a district that a
 * cursor holds, even a cursor of the same guest.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "slot.h"
#include "labyrinth_extent.h"
#include "labyrinth_host.h"
#include "support.h"

Test(extent, claims_within_never_reach_a_district_a_cursor_holds)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 0, false);
	struct lab_cursor vcpu, borrower;
	uint32_t mine, rooms[16];

	lab_cursor_init(&vcpu, m, 0);
	lab_cursor_init(&borrower, m, 1);
	cr_assert_eq(lab_claim(&vcpu, LAB_GFP_NORMAL, 0, 1, &mine), 1);
	cr_assert_eq(lab_district_holder(m, mine / LAB_DISTRICT_ROOMS), 0);
	cr_assert_eq(lab_claim_within(&borrower, mine / LAB_DISTRICT_ROOMS, 1,
				      16, rooms), 0,
		     "a district the guest's own cursor holds is not lent");
	heap_lab_free(m);
}

Test(extent, a_lent_run_is_claimed_only_within_and_reaped_whole)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 0, false);
	struct lab_cursor vcpu, borrower;
	uint32_t rooms[LAB_HC_BATCH_MAX], got = 0, k;

	lab_cursor_init(&vcpu, m, 0);
	lab_cursor_init(&borrower, m, 1);
	cr_assert_eq(lab_districts_lend(m, 2, 2, lab_owner(0, 0)), 0);
	cr_assert_eq(lab_districts_lend(m, 2, 1, lab_owner(1, 0)), LAB_EBUSY,
		     "lent twice");
	cr_assert_eq(lab_district_holder(m, 2), 0, "shown as the lender's");
	while ((k = lab_claim_within(&borrower, 2, 2, LAB_HC_BATCH_MAX, rooms)) > 0) {
		for (uint32_t i = 0; i < k; i++)
			cr_assert_geq(rooms[i], 2 * LAB_DISTRICT_ROOMS);
		got += k;
	}
	cr_assert_eq(got, 2 * LAB_DISTRICT_ROOMS);
	/* the guest's cursors never claim in the lent run */
	while ((k = lab_claim(&vcpu, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX, rooms)) > 0)
		for (uint32_t i = 0; i < k; i++)
			cr_assert_lt(rooms[i], 2 * LAB_DISTRICT_ROOMS);
	lab_cursor_park(&vcpu);
	cr_assert_eq(lab_reap_guest(m, 0), 4 * LAB_DISTRICT_ROOMS);
	for (uint32_t d = 0; d < 4; d++)
		cr_assert_eq(lab_district_holder(m, d), LAB_NONE, "district %u", d);
	cr_assert_eq(tlab_free(m), 4 * LAB_DISTRICT_ROOMS);
	heap_lab_free(m);
}

/*
 * A district the borrower claimed whole is no longer lent once its
 * extent is returned (its rooms stay the borrower's, whole, until its
 * reap): a pool district held as lent could never be the monitors'
 * while the lease lives.
 */
Test(extent, a_whole_district_of_a_returned_extent_is_no_longer_lent)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 0, false);
	struct lab_cursor borrower;
	uint32_t d;

	lab_cursor_init(&borrower, m, 1);
	cr_assert_eq(lab_districts_lend(m, 2, 2, lab_owner(0, 0)), 0);
	cr_assert_eq(lab_claim_districts_within(&borrower, 2, 2, 1, &d), 1);
	cr_assert_eq(lab_district_whole_of(m, d), 0);
	lab_districts_count_back(m, 2, 2, 0);
	for (uint32_t k = 2; k < 4; k++)
		cr_assert_eq(lab_district_lent_to(m, k), LAB_NONE, "district %u", k);
	cr_assert_eq(lab_district_whole_of(m, d), 0, "still the borrower's, whole");
	cr_assert_eq(lab_reap_guest(m, 0), LAB_DISTRICT_ROOMS);
	cr_assert_eq(lab_district_whole_of(m, d), LAB_NONE);
	cr_assert_eq(lab_district_holder(m, d), LAB_NONE);
	cr_assert_eq(tlab_free(m), 4 * LAB_DISTRICT_ROOMS);
	heap_lab_free(m);
}

/*
 * A lent run leaves the free count (what monitors can claim), so lending
 * is taking rooms from the monitors: it leaves them their unmet
 * guarantees, as any claim of another guest must (GFP_ATOMIC too).
 */
Test(extent, a_lend_leaves_the_monitors_their_guarantees)
{
	struct labyrinth *m = heap_lab(4 * LAB_DISTRICT_ROOMS, 1, 64, false);
	struct labyrinth *mon, *lender;
	uint32_t owner = lab_owner(2, 0);

	lab_slot_fill(m, 1, 101);
	lab_slot_fill(m, 2, 102);
	mon = heap_lab_guest(m, 1);
	lender = heap_lab_guest(m, 2);
	cr_assert_eq(lab_limits_set(mon, 1, LAB_UNLIMITED, 1100), 0);
	cr_assert_eq(lab_districts_lend(lender, 0, 2, owner), LAB_ENOSPC,
		     "lent 1024 rooms: monitors left 1024, under a min of 1100");
	cr_assert_eq(lab_free_watched(m), 4 * LAB_DISTRICT_ROOMS, "a refused lend changed the count");
	for (uint32_t d = 0; d < 4; d++)
		cr_assert_eq(lab_district_holder(m, d), LAB_NONE, "district %u kept", d);
	cr_assert_eq(lab_districts_lend(lender, 0, 1, owner), 0, "1536 left: the min fits");
	cr_assert_eq(lab_districts_lend(lender, 1, 1, owner), LAB_ENOSPC,
		     "1024 left, under the min");
	cr_assert_eq(lab_free_watched(m), 3 * LAB_DISTRICT_ROOMS);
	cr_assert_eq(lab_limits_set(mon, 1, LAB_UNLIMITED, 0), 0);
	cr_assert_eq(lab_districts_lend(lender, 1, 1, owner), 0, "no min left to keep");
	heap_lab_free(lender);
	heap_lab_free(mon);
	heap_lab_free(m);
}

/*
 * A borrower's min is kept by its extent and passes no sum: it may not
 * promise more than the extent holds, and it goes with the extent, before
 * `lent` falls to 0 (else it would count against the monitors' mins,
 * which were set without it, until its slot was cleared).
 */
Test(extent, a_borrowers_min_stays_within_its_extent_and_goes_with_it)
{
	struct lab_geometry geo = { .rooms = 4 * LAB_DISTRICT_ROOMS, .corridors = 1 };
	struct labyrinth *lender, *mon;
	struct lab_limits l;
	char name[64];
	uint32_t k;
	int fd;

	snprintf(name, sizeof(name), "test-extent-min-%d", getpid());
	lab_destroy(name);
	cr_assert_eq(lab_create_extents(name, &geo, LAB_DISTRICT_ROOMS, LAB_NOGROUP), 0);
	cr_assert_eq(lab_attach(name, &lender), 0);
	cr_assert_eq(lab_attach(name, &mon), 0);
	cr_assert_eq(lab_limits_set(lender, lender->guest, LAB_UNLIMITED, 100), 0);
	cr_assert_eq(lab_extent_lend(lender, &k, &fd), 0);
	cr_expect_eq(lab_limits_set(lender, lender->guest, LAB_UNLIMITED, LAB_DISTRICT_ROOMS + 1),
		     LAB_ENOSPC, "a min past the borrower's extent");
	cr_expect_eq(lab_limits_set(lender, lender->guest, LAB_UNLIMITED, 400), 0);
	cr_expect_eq(lab_limits_set(mon, mon->guest, LAB_UNLIMITED, 3 * LAB_DISTRICT_ROOMS), 0,
		     "the monitors' rooms are all theirs to guarantee");
	close(fd);
	cr_assert_eq(lab_extent_return(lender, k), 0);
	lab_limits_get(lender, lender->guest, &l);
	cr_expect_eq(l.min, 0, "the borrower's min outlived its extent");
	cr_expect_eq(lab_free_watched(mon), 4 * LAB_DISTRICT_ROOMS);
	lab_detach(mon);
	lab_detach(lender);
	cr_assert_eq(lab_destroy(name), 0);
}
