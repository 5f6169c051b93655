// SPDX-License-Identifier: MIT
/*
 * zero.c - zeroing a room, the scrub's one primitive.
 *
 * Non-temporal stores win on the machines we measured (bench_zero: about
 * 2x rep stosb once the pool is larger than the caches, and they do not
 * evict the claim path's metadata).  A scrubbed room is usually claimed
 * much later, by another vCPU, so nothing is lost by keeping its zeros out
 * of our cache.  The fence at the end orders the weakly ordered stores
 * before the map update that frees the room.
 */
#include "hall.h"
#include "zero.h"

/* No libc, and no memset the compiler would substitute for the loop. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void zero_stores(void *room)
{
	uint64_t *p = room;

	for (uint32_t i = 0; i < LAB_ROOM_SIZE / sizeof(*p); i++)
		p[i] = 0;
}

#if defined(__x86_64__)
void zero_stosb(void *room)
{
	uint64_t n = LAB_ROOM_SIZE;

	__asm__ volatile("rep stosb" : "+D"(room), "+c"(n) : "a"(0) : "memory");
}

void zero_nontemporal(void *room)
{
	uint64_t *p = room;

	for (uint32_t i = 0; i < LAB_ROOM_SIZE / sizeof(*p); i += 4)
		__asm__ volatile("movnti %1, 0(%0)\n\t"
				 "movnti %1, 8(%0)\n\t"
				 "movnti %1, 16(%0)\n\t"
				 "movnti %1, 24(%0)"
				 : : "r"(p + i), "r"(0ull) : "memory");
	__asm__ volatile("sfence" : : : "memory");
}
#else
void zero_stosb(void *room)
{
	zero_stores(room);
}

void zero_nontemporal(void *room)
{
	zero_stores(room);
}
#endif

void room_zero(struct labyrinth *lab, uint32_t room)
{
	if (!lab->pool)	/* a metadata-only labyrinth (benchmarks) */
		return;
	zero_nontemporal(lab->pool + (size_t)room * LAB_ROOM_SIZE);
}
