// SPDX-License-Identifier: MIT
/*
 * test_stress.c - the thread stress (stress.c) under Criterion: no room
 * ever has two owners, and every count adds up at the end.
 */
#include <criterion/criterion.h>

#include "stress.h"
#include "support.h"

Test(stress, threads_never_share_a_room, .timeout = 20)
{
	static struct stress s;
	struct lab_census c;

	cr_assert_eq(stress_run(&s, ROOMS), 0);
	cr_assert_gt(atomic_load(&s.ops), 1000);
	lab_census(s.m, &c);
	cr_assert_eq(c.free, ROOMS, "%u rooms lost", ROOMS - c.free);
	cr_assert_eq(c.corridor_free[0] + c.corridor_free[1], ROOMS);
	cr_assert_eq(c.guest_rooms[0], 0);
	heap_lab_free(s.m);
}

/* Few districts for many threads: contention at the last rooms. */
Test(stress, threads_drain_to_the_last_room, .timeout = 20)
{
	static struct stress s;

	cr_assert_eq(stress_run(&s, 2 * 512), 0);
	cr_assert_eq(tlab_free(s.m), 2 * 512);
	heap_lab_free(s.m);
}
