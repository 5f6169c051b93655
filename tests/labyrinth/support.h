/* SPDX-License-Identifier: MIT */
/*
 * support.h - helpers shared by the labyrinth tests: labyrinths in plain
 * heap memory (core only, no shm), snapshots of the hall.
 */
#ifndef LAB_TEST_SUPPORT_H
#define LAB_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "handle.h"	/* the core's tests look inside the handle */
#include "labyrinth.h"

/* A labyrinth in heap memory with lease 0; pool NULL if !with_pool. */
struct labyrinth *heap_lab(uint32_t rooms, uint32_t corridors,
			    uint32_t reserve, bool with_pool);
/* The same in shared anonymous memory (pool zeroed), for forked children;
 * heap_lab_free() it in the parent only. */
struct labyrinth *shared_lab(uint32_t rooms, uint32_t corridors);
/* The same with @reserve rooms kept for GFP_ATOMIC. */
struct labyrinth *shared_lab_reserve(uint32_t rooms, uint32_t corridors,
				     uint32_t reserve);
/* Another handle on the same hall for lease @guest. */
struct labyrinth *heap_lab_guest(struct labyrinth *lab, uint32_t guest);
void heap_lab_free(struct labyrinth *lab);
size_t heap_lab_hall_len(struct labyrinth *lab);

/* A copy of the hall and the pool, to prove nothing changed. */
void *tlab_snapshot(struct labyrinth *lab);
bool tlab_same(struct labyrinth *lab, const void *snap);

uint32_t tlab_free(const struct labyrinth *lab);
bool tlab_room_zero(const struct labyrinth *lab, uint32_t room);

#endif
