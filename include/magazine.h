/*
 * magazine.h - a per-CPU magazine of rooms, the fast path of the guest's
 * alloc_page(): Linux's per-CPU page lists, in Bonwick's words.
 *
 * A magazine is a stack of room addresses owned by one CPU. alloc pops,
 * free pushes; only an empty magazine (refill: one batch CLAIM) or a full
 * one (drain: one batch RELEASE of the coldest rooms) leaves the fast path.
 * Nothing here locks or waits: the owner CPU calls with interrupts off,
 * which is all the exclusion a per-CPU structure needs, so an interrupt
 * handler may allocate while the code it interrupted was in the middle of
 * nothing it could be waiting on.
 *
 * Freestanding (stdint only), part of the labyrinth's core (shared/): the
 * host and its tests (tests/magazine/) link it from the core library, the
 * guest kernel builds the same source with its own flags (guest/).
 */
#ifndef MAGAZINE_H
#define MAGAZINE_H

#include <stdbool.h>
#include <stdint.h>

#define LAB_MAG_CAPACITY 128u	/* rooms a magazine can hold */

/* Where rooms come from and go back to: batch CLAIM and RELEASE in the
 * guest, a fake pool in the host tests. claim returns how many rooms it
 * wrote to rooms[] (1..n) or a negative error; release returns 0 or a
 * negative error (and then released nothing). */
struct lab_mag_source {
	int64_t (*claim)(void *ctx, uint32_t n, uint64_t *rooms);
	int64_t (*release)(void *ctx, uint32_t n, const uint64_t *rooms);
	void *ctx;
};

struct lab_mag_stats {
	uint64_t allocs;	/* lab_mag_alloc calls */
	uint64_t alloc_hits;	/* ... served without refilling */
	uint64_t frees;		/* lab_mag_free calls */
	uint64_t free_hits;	/* ... stored without draining */
	uint64_t refills, refilled;	/* batch claims, rooms they brought */
	uint64_t drains, drained;	/* batch releases, rooms they took */
	uint64_t failures;	/* claims or releases the source refused */
};

struct lab_magazine {
	uint32_t count;		/* rooms[0..count): bottom is coldest, top hottest */
	uint32_t high;		/* a free into a magazine this full drains first */
	uint32_t batch;		/* rooms per refill and per drain */
	uint32_t pad;
	struct lab_mag_stats stats;
	uint64_t rooms[LAB_MAG_CAPACITY];
};

/*
 * @high: 1..LAB_MAG_CAPACITY; @batch: 1..high. A refill asks for @batch rooms;
 * a drain gives back @batch, keeping high - batch. Bad values are clamped.
 */
void lab_mag_init(struct lab_magazine *m, uint32_t high, uint32_t batch);

/* A room, refilling one batch (one claim) first if empty; 0 if empty and
 * the refill failed. */
uint64_t lab_mag_alloc(struct lab_magazine *m, const struct lab_mag_source *src);

/* Keeps @room, draining the coldest batch first if the magazine is full.
 * 0, or the drain's error: then @room was not taken (the caller still
 * holds it) and the magazine is unchanged. */
int64_t lab_mag_free(struct lab_magazine *m, const struct lab_mag_source *src, uint64_t room);

/* Up to @n rooms to out[]: first from the magazine, then straight from
 * the source in batches (not through the magazine). Returns how many. */
uint32_t lab_mag_alloc_bulk(struct lab_magazine *m, const struct lab_mag_source *src, uint32_t n,
			uint64_t *out);

/* Gives back the @n coldest rooms (at most count) in one release. */
int64_t lab_mag_drain(struct lab_magazine *m, const struct lab_mag_source *src, uint32_t n);

/* Gives back every room: 0 or the first error. */
int64_t lab_mag_flush(struct lab_magazine *m, const struct lab_mag_source *src);

static inline uint32_t lab_mag_count(const struct lab_magazine *m)
{
	return m->count;
}

#endif
