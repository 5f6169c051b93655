/*
 * The per-CPU magazine (include/magazine.h). The fast paths are one
 * compare and one load or store; everything else is the rare refill or
 * drain. No atomics: the owner CPU, interrupts off, is the only user.
 */
#include "magazine.h"

void lab_mag_init(struct lab_magazine *m, uint32_t high, uint32_t batch)
{
	if (high < 1 || high > LAB_MAG_CAPACITY)
		high = LAB_MAG_CAPACITY;
	if (batch < 1 || batch > high)
		batch = high;
	m->count = 0;
	m->high = high;
	m->batch = batch;
	m->pad = 0;
	m->stats = (struct lab_mag_stats){0};
}

/* A hit is one load; a miss refills one batch in one call to the source. */
uint64_t lab_mag_alloc(struct lab_magazine *m, const struct lab_mag_source *src)
{
	uint32_t want = m->batch;
	int64_t got;

	m->stats.allocs++;
	if (m->count) {
		m->stats.alloc_hits++;
		return m->rooms[--m->count];
	}
	got = src->claim(src->ctx, want, m->rooms);
	if (got <= 0 || (uint64_t)got > want) {
		m->stats.failures++;
		return 0;
	}
	m->count = (uint32_t)got;
	m->stats.refills++;
	m->stats.refilled += (uint64_t)got;
	return m->rooms[--m->count];
}

int64_t lab_mag_drain(struct lab_magazine *m, const struct lab_mag_source *src, uint32_t n)
{
	int64_t rc;

	if (n > m->count)
		n = m->count;
	if (!n)
		return 0;
	/* The coldest rooms go: the hottest stay for the next allocation. */
	rc = src->release(src->ctx, n, m->rooms);
	if (rc < 0) {
		m->stats.failures++;
		return rc;
	}
	for (uint32_t i = n; i < m->count; i++)
		m->rooms[i - n] = m->rooms[i];
	m->count -= n;
	m->stats.drains++;
	m->stats.drained += n;
	return n;
}

int64_t lab_mag_free(struct lab_magazine *m, const struct lab_mag_source *src, uint64_t room)
{
	m->stats.frees++;
	if (m->count < m->high) {
		m->stats.free_hits++;
		m->rooms[m->count++] = room;
		return 0;
	}
	int64_t rc = lab_mag_drain(m, src, m->batch);
	if (rc < 0)
		return rc;
	m->rooms[m->count++] = room;
	return 0;
}

uint32_t lab_mag_alloc_bulk(struct lab_magazine *m, const struct lab_mag_source *src, uint32_t n,
			uint64_t *out)
{
	uint32_t done = 0;

	while (done < n && m->count)
		out[done++] = m->rooms[--m->count];
	m->stats.allocs += done;
	m->stats.alloc_hits += done;
	while (done < n) {
		int64_t got = src->claim(src->ctx, n - done, out + done);
		if (got <= 0 || (uint64_t)got > n - done) {
			m->stats.failures++;
			break;
		}
		done += (uint32_t)got;
		m->stats.allocs += (uint64_t)got;
		m->stats.refills++;
		m->stats.refilled += (uint64_t)got;
	}
	return done;
}

int64_t lab_mag_flush(struct lab_magazine *m, const struct lab_mag_source *src)
{
	while (m->count) {
		int64_t rc = lab_mag_drain(m, src, m->count);
		if (rc < 0)
			return rc;
	}
	return 0;
}
