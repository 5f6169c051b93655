/* SPDX-License-Identifier: MIT */
/*
 * parse.h - command-line values: strict parsers that accept a string only
 * if the whole of it is a valid value in range.  Numbers are decimal.
 * Each returns 0, or -1 leaving *out untouched.
 */
#ifndef VMM_COMMON_PARSE_H
#define VMM_COMMON_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* "256M", "1G", "4096", "64KiB": a byte count. */
int parse_size(const char *s, uint64_t *out);
/* A decimal integer in [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A positive number of seconds, fractions allowed, at most a day. */
int parse_seconds(const char *s, double *out);
/* A group: its name, or its number. */
int parse_group(const char *s, uint32_t *gid);

#endif
