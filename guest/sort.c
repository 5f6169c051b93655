#include "sort.h"

static void sift_down(u64 *v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		u64 t;
		if (child >= n)
			return;
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[root] >= v[child])
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

void sort_u64(u64 *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end-- > 1;) {
		u64 t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

u64 percentile_u64(u64 *v, size_t n, u32 pct)
{
	if (!n)
		return 0;
	sort_u64(v, n);
	return v[(n - 1) * (pct > 100 ? 100 : pct) / 100];
}
