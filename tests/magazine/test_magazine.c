/* The per-CPU magazine against a fake pool: fast paths, refill, drain,
 * partial grants, exhaustion, failures that must leave it unchanged. */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_source.h"
#include "magazine.h"

static struct fake_pool pool;
static struct lab_mag_source src;
static struct lab_magazine mag;

static void setup(void)
{
	fake_init(&pool, &src);
	lab_mag_init(&mag, 64, 32);
}

TestSuite(magazine, .init = setup);

Test(magazine, init_clamps_bad_sizes)
{
	lab_mag_init(&mag, 0, 0);
	cr_expect_eq(mag.high, LAB_MAG_CAPACITY);
	cr_expect_eq(mag.batch, LAB_MAG_CAPACITY);
	lab_mag_init(&mag, 16, 99);
	cr_expect_eq(mag.high, 16);
	cr_expect_eq(mag.batch, 16);
	cr_expect_eq(lab_mag_count(&mag), 0);
}

Test(magazine, first_alloc_refills_one_batch)
{
	uint64_t r = lab_mag_alloc(&mag, &src);

	cr_assert_neq(r, 0);
	cr_expect_eq(pool.claims, 1);
	cr_expect_eq(lab_mag_count(&mag), 31);
	cr_expect_eq(pool.free, FAKE_ROOMS - 32);
	cr_expect_eq(mag.stats.refills, 1);
	cr_expect_eq(mag.stats.refilled, 32);
	cr_expect_eq(mag.stats.alloc_hits, 0);
}

Test(magazine, hits_do_not_reach_the_source)
{
	uint64_t r = lab_mag_alloc(&mag, &src);

	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(lab_mag_free(&mag, &src, r), 0);
		r = lab_mag_alloc(&mag, &src);
		cr_assert_neq(r, 0);
	}
	cr_expect_eq(pool.claims, 1);
	cr_expect_eq(pool.releases, 0);
	cr_expect_eq(mag.stats.alloc_hits, 1000);
	cr_expect_eq(mag.stats.free_hits, 1000);
}

Test(magazine, lifo_returns_the_hottest_room)
{
	uint64_t a = lab_mag_alloc(&mag, &src), b = lab_mag_alloc(&mag, &src);

	lab_mag_free(&mag, &src, a);
	lab_mag_free(&mag, &src, b);
	cr_expect_eq(lab_mag_alloc(&mag, &src), b);
	cr_expect_eq(lab_mag_alloc(&mag, &src), a);
}

Test(magazine, no_room_twice)
{
	static uint64_t got[2000];
	int n = 0;

	for (; n < 2000; n++) {
		got[n] = lab_mag_alloc(&mag, &src);
		cr_assert_neq(got[n], 0);
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			cr_assert_neq(got[i], got[j], "room 0x%llx twice", (unsigned long long)got[i]);
	cr_expect_eq(pool.free + lab_mag_count(&mag) + n, FAKE_ROOMS);
}

Test(magazine, free_into_full_magazine_drains_the_coldest_batch)
{
	uint64_t rooms[64], extra;

	for (int i = 0; i < 64; i++)
		rooms[i] = lab_mag_alloc(&mag, &src);
	extra = lab_mag_alloc(&mag, &src);
	cr_assert_eq(lab_mag_count(&mag), 31);
	for (int i = 0; i < 33; i++)
		lab_mag_free(&mag, &src, rooms[i]);
	cr_assert_eq(lab_mag_count(&mag), 64);
	cr_assert_eq(pool.releases, 0);
	uint64_t coldest = mag.rooms[0], hottest = mag.rooms[63];
	cr_assert_eq(lab_mag_free(&mag, &src, extra), 0);
	cr_expect_eq(pool.releases, 1);
	cr_expect_eq(lab_mag_count(&mag), 64 - 32 + 1);
	cr_expect_eq(mag.stats.drained, 32);
	cr_expect_eq(mag.rooms[lab_mag_count(&mag) - 1], extra);
	cr_expect_eq(mag.rooms[lab_mag_count(&mag) - 2], hottest);
	cr_expect(!pool.held[(coldest - FAKE_BASE) / 4096], "the coldest room went back");
}

Test(magazine, partial_grants_are_kept)
{
	pool.limit = 5;
	cr_assert_neq(lab_mag_alloc(&mag, &src), 0);
	cr_expect_eq(lab_mag_count(&mag), 4);
	cr_expect_eq(mag.stats.refilled, 5);
}

Test(magazine, exhaustion_returns_zero_and_recovers)
{
	uint64_t r, last = 0;
	uint32_t n = 0;

	while ((r = lab_mag_alloc(&mag, &src)))
		last = r, n++;
	cr_expect_eq(n, FAKE_ROOMS);
	cr_expect_eq(lab_mag_count(&mag), 0);
	cr_expect_eq(lab_mag_alloc(&mag, &src), 0, "still empty");
	cr_expect_geq(mag.stats.failures, 2);
	lab_mag_free(&mag, &src, last);
	cr_expect_eq(lab_mag_alloc(&mag, &src), last);
}

Test(magazine, refused_refill_changes_nothing)
{
	pool.fail_claim = true;
	cr_expect_eq(lab_mag_alloc(&mag, &src), 0);
	cr_expect_eq(lab_mag_count(&mag), 0);
	cr_expect_eq(mag.stats.failures, 1);
	cr_expect_eq(pool.free, FAKE_ROOMS);
}

Test(magazine, refused_drain_keeps_magazine_and_room)
{
	static uint64_t rooms[200];
	int i = 0;

	for (int k = 0; k < 200; k++)
		rooms[k] = lab_mag_alloc(&mag, &src);
	while (lab_mag_count(&mag) < mag.high)
		lab_mag_free(&mag, &src, rooms[i++]);
	pool.fail_release = true;
	cr_expect_lt(lab_mag_free(&mag, &src, rooms[i]), 0);
	cr_expect_eq(lab_mag_count(&mag), mag.high, "unchanged");
	cr_expect(pool.held[(rooms[i] - FAKE_BASE) / 4096], "the caller still holds it");
	cr_expect_eq(mag.stats.failures, 1);
	pool.fail_release = false;
	cr_expect_eq(lab_mag_free(&mag, &src, rooms[i]), 0);
	cr_expect_eq(lab_mag_count(&mag), mag.high - mag.batch + 1);
}

Test(magazine, flush_gives_everything_back)
{
	for (int i = 0; i < 10; i++)
		lab_mag_alloc(&mag, &src);
	for (int i = 0; i < 10; i++)
		lab_mag_free(&mag, &src, fake_room(i));
	cr_assert_eq(lab_mag_flush(&mag, &src), 0);
	cr_expect_eq(lab_mag_count(&mag), 0);
	cr_expect_eq(pool.free, FAKE_ROOMS);
	cr_expect_eq(pool.bad_releases, 0);
}

Test(magazine, bulk_takes_magazine_then_source)
{
	static uint64_t out[300];
	uint64_t r = lab_mag_alloc(&mag, &src);

	lab_mag_free(&mag, &src, r);
	cr_assert_eq(lab_mag_count(&mag), 32);
	pool.limit = 100;
	cr_expect_eq(lab_mag_alloc_bulk(&mag, &src, 300, out), 300);
	cr_expect_eq(lab_mag_count(&mag), 0, "bulk does not refill the magazine");
	cr_expect_eq(pool.free, FAKE_ROOMS - 300);
	for (int i = 0; i < 300; i++)
		for (int j = 0; j < i; j++)
			cr_assert_neq(out[i], out[j]);
}

Test(magazine, bulk_stops_short_on_exhaustion)
{
	static uint64_t out[FAKE_ROOMS + 10];

	cr_expect_eq(lab_mag_alloc_bulk(&mag, &src, FAKE_ROOMS + 10, out), FAKE_ROOMS);
	cr_expect_eq(lab_mag_alloc_bulk(&mag, &src, 1, out), 0);
}

Test(magazine, random_workload_keeps_the_books)
{
	static uint64_t held[1024];
	uint32_t nheld = 0, seed = 12345;

	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % 2 && nheld < 1024) {
			uint64_t r = lab_mag_alloc(&mag, &src);
			cr_assert_neq(r, 0);
			held[nheld++] = r;
		} else if (nheld) {
			uint32_t k = (seed >> 8) % nheld;
			cr_assert_eq(lab_mag_free(&mag, &src, held[k]), 0);
			held[k] = held[--nheld];
		}
		cr_assert_leq(lab_mag_count(&mag), mag.high);
	}
	cr_expect_eq(pool.free + lab_mag_count(&mag) + nheld, FAKE_ROOMS);
	cr_expect_eq(pool.bad_releases, 0);
	cr_expect_eq(mag.stats.refilled - mag.stats.drained, lab_mag_count(&mag) + nheld);
}
