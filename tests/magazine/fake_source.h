/* A fake room source for the magazine's host tests: a pool of rooms with
 * an owner flag each, like the labyrinth seen through CLAIM and RELEASE,
 * with failures that can be switched on. */
#ifndef TESTS_MAGAZINE_FAKE_SOURCE_H
#define TESTS_MAGAZINE_FAKE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "magazine.h"

#define FAKE_ROOMS 4096u
#define FAKE_BASE 0x100000000ull

struct fake_pool {
	bool held[FAKE_ROOMS];
	uint32_t free;		/* rooms not held */
	uint32_t limit;		/* most rooms one claim grants (partial grants) */
	bool fail_claim, fail_release;
	uint64_t claims, releases, bad_releases;
};

static inline uint64_t fake_room(uint32_t i)
{
	return FAKE_BASE + (uint64_t)i * 4096;
}

static inline int64_t fake_claim(void *ctx, uint32_t n, uint64_t *rooms)
{
	struct fake_pool *p = ctx;
	uint32_t got = 0;

	p->claims++;
	if (p->fail_claim)
		return -12;
	if (p->limit && n > p->limit)
		n = p->limit;
	for (uint32_t i = 0; i < FAKE_ROOMS && got < n; i++)
		if (!p->held[i]) {
			p->held[i] = true;
			rooms[got++] = fake_room(i);
		}
	p->free -= got;
	return got ? (int64_t)got : -12;
}

static inline int64_t fake_release(void *ctx, uint32_t n, const uint64_t *rooms)
{
	struct fake_pool *p = ctx;

	p->releases++;
	if (p->fail_release)
		return -22;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t k = (rooms[i] - FAKE_BASE) / 4096;
		if (rooms[i] < FAKE_BASE || k >= FAKE_ROOMS || !p->held[k]) {
			p->bad_releases++;
			return -114;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		p->held[(rooms[i] - FAKE_BASE) / 4096] = false;
	p->free += n;
	return 0;
}

static inline void fake_init(struct fake_pool *p, struct lab_mag_source *src)
{
	*p = (struct fake_pool){.free = FAKE_ROOMS};
	*src = (struct lab_mag_source){fake_claim, fake_release, p};
}

#endif
