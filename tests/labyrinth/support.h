/* SPDX-License-Identifier: MIT */
/*
 * support.h - helpers shared by the labyrinth tests: labyrinths in plain
 * heap memory (core only, no shm), snapshots of the hall.
 */
#ifndef LAB_TEST_SUPPORT_H
#define LAB_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "labyrinth.h"

/* A labyrinth in heap memory with lease 0; pool NULL if !with_pool. */
struct labyrinth *heap_maze(uint32_t rooms, uint32_t corridors,
			    uint32_t reserve, bool with_pool);
/* Another handle on the same hall for lease @guest. */
struct labyrinth *heap_maze_guest(struct labyrinth *maze, uint32_t guest);
void heap_maze_free(struct labyrinth *maze);
size_t heap_maze_hall_len(struct labyrinth *maze);

/* A copy of the hall and the pool, to prove nothing changed. */
void *maze_snapshot(struct labyrinth *maze);
bool maze_same(struct labyrinth *maze, const void *snap);

uint32_t maze_free(const struct labyrinth *maze);

#endif
