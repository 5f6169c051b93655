// SPDX-License-Identifier: MIT
/*
 * parse.c - the one parser of numbers on every command line (the monitor's
 * and the `labyrinth` command's).  Decimal only: strtoull's base 0 would
 * read "010" as eight and "0x10" as sixteen, and both strtoull and strtod
 * skip leading blanks; here a value is accepted only if every character of
 * it is part of the number (or of its unit).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <strings.h>

#include "parse.h"

/* Leading decimal digits of @s as a number; *end after them.  -1 if there
 * are none or they overflow. */
static int digits(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	*end = s;
	return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (digits(s, &v, &end) || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const struct { const char *name; unsigned shift; } units[] = {
		{"", 0}, {"B", 0},
		{"K", 10}, {"KB", 10}, {"KiB", 10},
		{"M", 20}, {"MB", 20}, {"MiB", 20},
		{"G", 30}, {"GB", 30}, {"GiB", 30},
	};
	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(suffix, units[i].name)) {
			*shift = units[i].shift;
			return 0;
		}
	}
	return -1;
}

int parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	unsigned shift;

	if (digits(s, &v, &end) || size_shift(end, &shift) || v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* Only "D", "D.D", ".D" shapes reach strtod: no exponent, no hex, no blanks. */
static bool plain_decimal(const char *s)
{
	bool dot = false, digit = false;

	for (; *s; s++) {
		if (*s == '.' && !dot)
			dot = true;
		else if (isdigit((unsigned char)*s))
			digit = true;
		else
			return false;
	}
	return digit;
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !plain_decimal(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int parse_group(const char *s, uint32_t *gid)
{
	struct group *g;
	uint64_t v;

	if (!parse_uint(s, 0, UINT32_MAX - 1, &v)) {
		*gid = (uint32_t)v;
		return 0;
	}
	g = s && *s ? getgrnam(s) : NULL;
	if (!g)
		return -1;
	*gid = (uint32_t)g->gr_gid;
	return 0;
}
