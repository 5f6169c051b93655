// SPDX-License-Identifier: MIT
/*
 * test_gfp.c - GFP semantics: the reserve below the min watermark, the
 * fail-hard hook, plain GFP_ATOMIC returning nothing.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "support.h"

static char panic_msg[128];
static int panics;

static void record_panic(const char *msg)
{
	strncpy(panic_msg, msg, sizeof(panic_msg) - 1);
	panics++;
}

static uint32_t claim_until_refused(struct lab_cursor *cur, unsigned int flags)
{
	uint32_t rooms[64], total = 0, k;

	while ((k = lab_claim(cur, flags, 0, 64, rooms)) > 0)
		total += k;
	return total;
}

Test(gfp, normal_leaves_the_reserve)
{
	struct labyrinth *m = heap_lab(1024, 1, 100, false);
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(claim_until_refused(&cur, LAB_GFP_NORMAL), 924);
	cr_assert_eq(tlab_free(m), 100);
	cr_assert_eq(claim_until_refused(&cur, LAB_GFP_ATOMIC), 100);
	cr_assert_eq(tlab_free(m), 0);
	heap_lab_free(m);
}

Test(gfp, normal_grants_partially_down_to_the_watermark)
{
	struct labyrinth *m = heap_lab(1024, 1, 100, false);
	uint32_t rooms[512];
	struct lab_cursor cur;

	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 450, rooms), 450);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 450, rooms + 0), 450);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 64, rooms), 24);
	/* Freeing rooms above the watermark makes them claimable again. */
	cr_assert_eq(lab_release(&cur, rooms, 10), 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 64, rooms), 10);
	heap_lab_free(m);
}

Test(gfp, normal_is_refused_across_cursors)
{
	struct labyrinth *m = heap_lab(1024, 1, 100, false);
	struct lab_cursor a, b;

	lab_cursor_init(&a, m, 0);
	lab_cursor_init(&b, m, 1);
	cr_assert_eq(claim_until_refused(&a, LAB_GFP_NORMAL), 924);
	lab_cursor_park(&a);	/* publishes its count */
	cr_assert_eq(claim_until_refused(&b, LAB_GFP_NORMAL), 0);
	cr_assert_eq(claim_until_refused(&b, LAB_GFP_ATOMIC), 100);
	heap_lab_free(m);
}

Test(gfp, atomic_returns_nothing_without_panic)
{
	struct labyrinth *m = heap_lab(512, 1, 0, false);
	struct lab_cursor cur;
	uint32_t r;

	m->panic = record_panic;
	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(claim_until_refused(&cur, LAB_GFP_ATOMIC), 512);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, &r), 0);
	cr_assert_eq(panics, 0);
	heap_lab_free(m);
}

Test(gfp, all_or_nothing_grants_nothing_and_never_panics)
{
	struct labyrinth *m = heap_lab(512, 1, 0, false);
	uint32_t rooms[512];
	struct lab_cursor cur;

	m->panic = record_panic;
	lab_cursor_init(&cur, m, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, 502, rooms), 502);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC | LAB_ALL_OR_NOTHING, 0, 64,
			       rooms), 0);
	cr_assert_eq(panics, 0, "only the seed entry points fail hard");
	cr_assert_eq(tlab_free(m), 10, "the partial grant was not undone");
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC | LAB_ALL_OR_NOTHING, 0, 10,
			       rooms), 10);
	cr_assert_eq(panics, 0);
	heap_lab_free(m);
}

Test(gfp, seed_allocpage_uses_the_reserve_then_panics)
{
	struct labyrinth *m = heap_lab(512, 1, 500, true);

	m->panic = record_panic;
	for (int i = 0; i < 512; i++)
		cr_assert_not_null(lab_alloc_page_exclusive(m),
				   "page %d refused", i);
	cr_assert_eq(panics, 0);
	cr_assert_null(lab_alloc_page_exclusive(m));
	cr_assert_eq(panics, 1);
	cr_assert_str_eq(panic_msg,
			 "Labyrinth allocpage exclusive failed: out of memory");
	heap_lab_free(m);
}
