/* Command-line values: strict parsers that reject anything but the whole
 * string being a valid value in range. */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stdint.h>

/* "256M", "1G", "4096", "64KiB": a byte count; returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);
/* A decimal integer in [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A positive number of seconds, fractions allowed, at most a day. */
int parse_seconds(const char *s, double *out);

#endif
