// SPDX-License-Identifier: GPL-2.0
/*
 * The API: rooms handed out from per-CPU magazines. A magazine is refilled
 * through its extent (mailbox or port) in one claim of a batch: GFP_NORMAL
 * for callers that may not take the reserve, so what they get never
 * includes it; GFP_ATOMIC for callers that may, so below the watermark a
 * refill is still one call, as Linux's per-CPU lists are refilled. What a
 * magazine keeps goes back under pressure (labyrinth_give_back).
 * Interrupts are off while a magazine is used: its lock is taken by another
 * CPU only to give back.
 */
#include <linux/bitops.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "maze.h"

int maze_magazines_init(struct labyrinth *maze)
{
	int cpu;

	maze->magazines = alloc_percpu(struct maze_magazine);
	if (!maze->magazines)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(maze->magazines, cpu)->lock);
	return 0;
}

static void magazine_refill(struct labyrinth *maze, struct maze_magazine *mag, gfp_t gfp)
{
	bool atomic = gfp & __GFP_HIGH;
	long got = maze_claim(maze, atomic ? LAB_HC_GFP_ATOMIC : LAB_HC_GFP_NORMAL,
			     mag->room + mag->count,
			     min(LABYRINTH_REFILL_ROOMS, MAZE_MAGAZINE_ROOMS - mag->count));

	if (got <= 0)
		return;
	mag->count += got;
	if (atomic)
		maze_count(maze, MAZE_ATOMIC_REFILLED, got);
}

/* The newest half goes home: it makes room for frees to come. */
static void magazine_spill(struct labyrinth *maze, struct maze_magazine *mag, u32 n)
{
	mag->count -= n;
	maze_release(maze, mag->room + mag->count, n);
}

static void *magazine_take(struct labyrinth *maze, gfp_t gfp)
{
	struct maze_magazine *mag = this_cpu_ptr(maze->magazines);
	void *room = NULL;

	raw_spin_lock(&mag->lock);
	if (!mag->count) {
		maze_count(maze, MAZE_MISSES, 1);
		magazine_refill(maze, mag, gfp);
	} else {
		maze_count(maze, MAZE_HITS, 1);
	}
	if (mag->count)
		room = mag->room[--mag->count];
	raw_spin_unlock(&mag->lock);
	return room;
}

/* The one place a room changes hands: a bit already set would be a
 * second owner, which the server's answers are checked never to make. */
static void *hand_out(struct labyrinth *maze, void *room)
{
	struct maze_extent *ext = maze_extent_of(maze, room);
	unsigned long i = maze_room_index(ext, room);

	if (WARN_ONCE(test_and_set_bit(i, ext->handed),
		      "labyrinth: room %lu of peer %u handed out twice\n", i, ext->peer_id))
		return NULL;
	maze_count(maze, MAZE_HANDED, 1);
	return room;
}

void *labyrinth_alloc_room(struct labyrinth *maze, gfp_t gfp)
{
	unsigned long flags;
	void *room;

	local_irq_save(flags);
	room = magazine_take(maze, gfp);
	if (room)
		room = hand_out(maze, room);
	local_irq_restore(flags);
	return room;
}
EXPORT_SYMBOL_GPL(labyrinth_alloc_room);

void *allocpage_gfp_atomic_exclusive(struct labyrinth *maze)
{
	void *room = labyrinth_alloc_room(maze, GFP_ATOMIC);

	if (!room)
		panic("Sorry, the labyrinth has no exit\n");
	return room;
}
EXPORT_SYMBOL_GPL(allocpage_gfp_atomic_exclusive);

static bool take_back(struct labyrinth *maze, struct maze_extent *ext, void *room)
{
	unsigned long i = maze_room_index(ext, room);

	if (WARN_ONCE(!test_and_clear_bit(i, ext->handed),
		      "labyrinth: room %lu of peer %u freed but not handed out\n", i,
		      ext->peer_id)) {
		maze_count(maze, MAZE_BAD_FREES, 1);
		return false;
	}
	maze_count(maze, MAZE_RETURNED, 1);
	return true;
}

void dealloc_labyrinth_page_exclusive(struct labyrinth *maze, void *page)
{
	struct maze_extent *ext = maze_extent_of(maze, page);
	struct maze_magazine *mag;
	unsigned long flags;

	if (WARN_ONCE(!ext, "labyrinth: %px is no room of ours\n", page)) {
		maze_count(maze, MAZE_BAD_FREES, 1);
		return;
	}
	if (!take_back(maze, ext, page))
		return;
	local_irq_save(flags);
	if (READ_ONCE(ext->gone)) {
		maze_release(maze, &page, 1);
	} else {
		mag = this_cpu_ptr(maze->magazines);
		raw_spin_lock(&mag->lock);
		if (mag->count == MAZE_MAGAZINE_ROOMS)
			magazine_spill(maze, mag, LABYRINTH_REFILL_ROOMS);
		mag->room[mag->count++] = page;
		raw_spin_unlock(&mag->lock);
	}
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(dealloc_labyrinth_page_exclusive);

unsigned int labyrinth_give_back(struct labyrinth *maze)
{
	unsigned int total = 0;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct maze_magazine *mag = per_cpu_ptr(maze->magazines, cpu);

		raw_spin_lock_irqsave(&mag->lock, flags);
		total += mag->count;
		magazine_spill(maze, mag, mag->count);
		raw_spin_unlock_irqrestore(&mag->lock, flags);
	}
	return total;
}
EXPORT_SYMBOL_GPL(labyrinth_give_back);
