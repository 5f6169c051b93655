#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmio.h"

/* Addresses kept apart; past that many, accesses are only counted. A
 * kernel probes a handful (an HPET, an IOAPIC it was not told of, ...). */
#define MMIO_ADDRS 64
#define ADDR_FREE 0
#define ADDR_TAKEN 1ull	/* the low bit marks a slot taken (0 is an address too) */

static struct {
	uint64_t key;	/* addr << 1 | ADDR_TAKEN, or ADDR_FREE */
	uint32_t n[2];	/* reads, writes */
} seen[MMIO_ADDRS];
static uint64_t others[2];

/* Lock-free: a slot's key is set once by compare-and-swap, its counters
 * are relaxed adds (only the totals at exit matter). */
void mmio_unhandled(uint64_t addr, bool write, uint8_t *data, unsigned len)
{
	uint64_t key = addr << 1 | ADDR_TAKEN;

	if (!write)
		memset(data, 0xff, len);
	for (unsigned i = 0, h = (unsigned)(addr >> 3) % MMIO_ADDRS; i < MMIO_ADDRS;
	     i++, h = (h + 1) % MMIO_ADDRS) {
		uint64_t k = __atomic_load_n(&seen[h].key, __ATOMIC_ACQUIRE);

		if (k == ADDR_FREE && __atomic_compare_exchange_n(&seen[h].key, &k, key, false,
								   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			k = key;
		if (k == key) {
			__atomic_fetch_add(&seen[h].n[write], 1, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_fetch_add(&others[write], 1, __ATOMIC_RELAXED);
}

static int by_address(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

uint64_t mmio_report_unhandled(int fd)
{
	uint64_t keys[MMIO_ADDRS], total = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < MMIO_ADDRS; i++)
		if (seen[i].key != ADDR_FREE)
			keys[n++] = seen[i].key;
	qsort(keys, n, sizeof(keys[0]), by_address);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned h = 0; h < MMIO_ADDRS; h++) {
			if (seen[h].key != keys[i])
				continue;
			dprintf(fd, "vmm: unhandled mmio 0x%llx: %u reads, %u writes\n",
				(unsigned long long)(keys[i] >> 1), seen[h].n[0], seen[h].n[1]);
			total += (uint64_t)seen[h].n[0] + seen[h].n[1];
		}
	}
	if (others[0] + others[1])
		dprintf(fd, "vmm: unhandled mmio elsewhere: %llu reads, %llu writes\n",
			(unsigned long long)others[0], (unsigned long long)others[1]);
	total += others[0] + others[1];
	if (total)
		dprintf(fd, "vmm: %llu unhandled mmio accesses\n", (unsigned long long)total);
	return total;
}
