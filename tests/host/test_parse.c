// SPDX-License-Identifier: MIT
/*
 * test_parse.c - vmm/common/parse.c, the one parser of command-line
 * numbers: decimal, whole strings only.  What strtoull's base 0 and
 * strtod let through (octal, hex, blanks, signs, exponents, hex floats)
 * is refused and leaves the output alone.
 */
#include <criterion/criterion.h>
#include <grp.h>

#include "parse.h"

Test(parse, decimal_only)
{
	const char *bad[] = { "0x10", "0X10", " 5", "5 ", "+5", "-0", "\t5", "5\n", "1e3",
			      "", "0b1", "1_000", NULL };
	uint64_t v = 77;

	cr_assert_eq(parse_uint("010", 0, 100, &v), 0);
	cr_assert_eq(v, 10, "010 read as %lu", (unsigned long)v);
	cr_assert_eq(parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	v = 77;
	for (unsigned int i = 0; bad[i]; i++)
		cr_assert_eq(parse_uint(bad[i], 0, UINT64_MAX, &v), -1, "'%s' accepted", bad[i]);
	cr_assert_eq(parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
	cr_assert_eq(parse_uint(NULL, 0, 1, &v), -1);
	cr_assert_eq(v, 77);
}

Test(parse, sizes_decimal_with_units)
{
	const char *bad[] = { "0x10M", " 1G", "1G ", "+1K", "010x", "1e3K", NULL };
	uint64_t v = 77;

	cr_assert_eq(parse_size("010K", &v), 0);
	cr_assert_eq(v, 10 << 10);
	v = 77;
	for (unsigned int i = 0; bad[i]; i++)
		cr_assert_eq(parse_size(bad[i], &v), -1, "'%s' accepted", bad[i]);
	cr_assert_eq(v, 77);
}

Test(parse, seconds_plain_decimal)
{
	const char *bad[] = { "0x1p3", "1e1", " 1", "1 ", "+1", ".", "1..2", "inf", NULL };
	double s = 7;

	cr_assert_eq(parse_seconds(".5", &s), 0);
	cr_assert_float_eq(s, 0.5, 1e-9);
	cr_assert_eq(parse_seconds("010", &s), 0);
	cr_assert_float_eq(s, 10.0, 1e-9);
	s = 7;
	for (unsigned int i = 0; bad[i]; i++)
		cr_assert_eq(parse_seconds(bad[i], &s), -1, "'%s' accepted", bad[i]);
	cr_assert_float_eq(s, 7.0, 1e-9);
}

Test(parse, groups_by_name_or_number)
{
	uint32_t gid = 77;

	cr_assert_eq(parse_group("0", &gid), 0);
	cr_assert_eq(gid, 0);
	cr_assert_eq(parse_group("root", &gid), 0);
	cr_assert_eq(gid, 0);
	gid = 77;
	cr_assert_eq(parse_group("nb-no-such-group", &gid), -1);
	cr_assert_eq(parse_group("", &gid), -1);
	cr_assert_eq(parse_group(NULL, &gid), -1);
	cr_assert_eq(parse_group("4294967295", &gid), -1, "the 'no group' value accepted");
	cr_assert_eq(gid, 77);
}
