#include <criterion/criterion.h>

#include "parse.h"

Test(options, sizes)
{
	uint64_t v;
	cr_assert_eq(parse_size("256M", &v), 0);
	cr_assert_eq(v, 256ull << 20);
	cr_assert_eq(parse_size("1G", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(parse_size("64KiB", &v), 0);
	cr_assert_eq(v, 64ull << 10);
	cr_assert_eq(parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(parse_size("2gb", &v), 0);
	cr_assert_eq(v, 2ull << 30);
}

Test(options, bad_sizes)
{
	uint64_t v = 7;
	const char *bad[] = {"", "M", "-1M", "1.5G", "12Q", "1 G", "99999999999999999999",
			     "17179869184G", NULL};
	for (unsigned i = 0; bad[i]; i++)
		cr_assert_eq(parse_size(bad[i], &v), -1, "'%s' accepted", bad[i]);
	cr_assert_eq(parse_size(NULL, &v), -1);
	cr_assert_eq(v, 7, "a refused size changed the output");
}

Test(options, uints_in_range)
{
	uint64_t v;
	cr_assert_eq(parse_uint("1", 1, 64, &v), 0);
	cr_assert_eq(parse_uint("64", 1, 64, &v), 0);
	cr_assert_eq(v, 64);
	cr_assert_eq(parse_uint("0", 1, 64, &v), -1);
	cr_assert_eq(parse_uint("65", 1, 64, &v), -1);
	cr_assert_eq(parse_uint("4x", 1, 64, &v), -1);
	cr_assert_eq(parse_uint("-1", 0, 64, &v), -1);
	cr_assert_eq(parse_uint(" 4", 1, 64, &v), -1);
}

Test(options, seconds)
{
	double s;
	cr_assert_eq(parse_seconds("2", &s), 0);
	cr_assert_float_eq(s, 2.0, 1e-9);
	cr_assert_eq(parse_seconds("0.25", &s), 0);
	cr_assert_float_eq(s, 0.25, 1e-9);
	cr_assert_eq(parse_seconds("0", &s), -1);
	cr_assert_eq(parse_seconds("-3", &s), -1);
	cr_assert_eq(parse_seconds("nan", &s), -1);
	cr_assert_eq(parse_seconds("1e9", &s), -1);
	cr_assert_eq(parse_seconds("2s", &s), -1);
}
