/* In-place heapsort of u64 (no recursion, no allocation), and the median
 * and percentile helpers the benchmarks print. */
#ifndef GUEST_SORT_H
#define GUEST_SORT_H

#include "types.h"

void sort_u64(u64 *v, size_t n);
/* The value at percentile @pct (0..100) of v[0..n), sorting v; 0 if n == 0. */
u64 percentile_u64(u64 *v, size_t n, u32 pct);

#endif
