// SPDX-License-Identifier: MIT
/*
 * zero.c - zeroing a room, the scrub's one primitive.
 *
 * rep stosb, chosen by measurement (bench_scrub, AMD EPYC host, 2 vCPUs,
 * ns per 4 KiB room, cold / in the last-level cache / in L1-L2):
 *   rep stosb     164 /  57 /  31
 *   8-byte stores 125 /  92 /  90
 *   movnti        172 / 172 / 158
 *   libc memset   167 /  65 /  40
 *   fallocate punch-hole and refault: about 6000
 * A room is scrubbed soon after its guest released it, by the worker or a
 * claimer, so it is mostly still in the last-level cache, where rep stosb
 * is 1.6x the plain stores; from memory it is 1.3x slower than them, and
 * non-temporal stores lose everywhere on this machine.
 * Measured again under churn (same benchmark, this 2-vCPU EPYC, a busy
 * machine: thread CPU ns per room, cold / warm / hot):
 *   rep stosb     167 /  53 /  29
 *   8-byte stores 135 /  92 /  83
 *   movnti        189 / 170 / 162
 *   libc memset   162 /  -  /  -
 * Most rooms are now zeroed by the claim of the vCPU that released them
 * (reuse.c), hot, where rep stosb is 2.9x the stores and 5.6x movnti;
 * the worker's rooms (released and not taken back) are warm or cold, and
 * only from memory do the plain stores win (1.2x): not worth a second
 * primitive.  Non-temporal stores lose everywhere here, cold included.
 */
#include "zero.h"

/* No libc, and no memset the compiler would substitute for the loop. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void lab_zero_stores(void *room)
{
	uint64_t *p = room;

	for (uint32_t i = 0; i < LAB_ROOM_SIZE / sizeof(*p); i++)
		p[i] = 0;
}

#if defined(__x86_64__)
void lab_zero_stosb(void *room)
{
	uint64_t n = LAB_ROOM_SIZE;

	__asm__ volatile("rep stosb" : "+D"(room), "+c"(n) : "a"(0) : "memory");
}

/* The fence orders the weakly ordered stores before the room is freed. */
void lab_zero_nontemporal(void *room)
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
void lab_zero_stosb(void *room)
{
	lab_zero_stores(room);
}

void lab_zero_nontemporal(void *room)
{
	lab_zero_stores(room);
}
#endif

void lab_zero_room(struct labyrinth *lab, uint32_t room)
{
	if (!lab->pool)	/* a metadata-only labyrinth (benchmarks) */
		return;
	lab_zero_stosb(lab->pool + (size_t)room * LAB_ROOM_SIZE);
}
