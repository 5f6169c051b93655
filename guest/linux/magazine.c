// SPDX-License-Identifier: GPL-2.0
/*
 * The API: rooms handed out from per-CPU magazines. A magazine is refilled
 * through its extent (mailbox or port) with a GFP_NORMAL claim, so what it keeps never
 * includes the reserve; a GFP_ATOMIC caller that finds nothing there
 * claims one room from the reserve for itself, and that room goes home
 * when freed instead of into a magazine. Once a CPU's refill was refused
 * (the labyrinth is down to its reserve), its GFP_ATOMIC callers go to
 * the reserve at once, not through another refused refill first, and try
 * the refill again every LAB_RETRY_REFILL rooms. Interrupts are off while
 * a magazine is used: its lock is taken by another CPU only to give back.
 */
#include <linux/bitops.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "maze.h"

#define LAB_RETRY_REFILL 16

int lab_magazines_init(struct labyrinth *maze)
{
	int cpu;

	maze->magazines = alloc_percpu(struct lab_magazine);
	if (!maze->magazines)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(maze->magazines, cpu)->lock);
	return 0;
}

static void magazine_refill(struct labyrinth *maze, struct lab_magazine *mag)
{
	long got = lab_claim(maze, LAB_HC_GFP_NORMAL, mag->room + mag->count,
			     min(LAB_REFILL_ROOMS, LAB_MAGAZINE_ROOMS - mag->count));

	if (got > 0)
		mag->count += got;
	mag->below_min = got <= 0;
}

/* The newest half goes home: it makes room for frees to come. */
static void magazine_spill(struct labyrinth *maze, struct lab_magazine *mag, u32 n)
{
	mag->count -= n;
	lab_release(maze, mag->room + mag->count, n);
}

static void *magazine_take(struct labyrinth *maze, gfp_t gfp)
{
	struct lab_magazine *mag = this_cpu_ptr(maze->magazines);
	void *room = NULL;

	raw_spin_lock(&mag->lock);
	if (!mag->count) {
		lab_count(maze, LAB_MISSES, 1);
		if (!(gfp & __GFP_HIGH) || !mag->below_min ||
		    !(mag->below_min++ % LAB_RETRY_REFILL))
			magazine_refill(maze, mag);
	} else {
		lab_count(maze, LAB_HITS, 1);
	}
	if (mag->count)
		room = mag->room[--mag->count];
	raw_spin_unlock(&mag->lock);
	return room;
}

static void *reserve_take(struct labyrinth *maze)
{
	void *room;

	if (lab_claim(maze, LAB_HC_GFP_ATOMIC, &room, 1) != 1)
		return NULL;
	atomic_inc(&maze->reserve_out);
	lab_count(maze, LAB_RESERVE_TAKEN, 1);
	return room;
}

/* The one place a room changes hands: a bit already set would be a
 * second owner, which the server's answers are checked never to make. */
static void *hand_out(struct labyrinth *maze, void *room)
{
	struct lab_extent *ext = lab_extent_of(maze, room);
	unsigned long i = lab_room_index(ext, room);

	if (WARN_ONCE(test_and_set_bit(i, ext->handed),
		      "labyrinth: room %lu of peer %u handed out twice\n", i, ext->peer_id))
		return NULL;
	lab_count(maze, LAB_HANDED, 1);
	return room;
}

void *labyrinth_alloc_room(struct labyrinth *maze, gfp_t gfp)
{
	unsigned long flags;
	void *room;

	local_irq_save(flags);
	room = magazine_take(maze, gfp);
	if (!room && (gfp & __GFP_HIGH))
		room = reserve_take(maze);
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

static bool take_back(struct labyrinth *maze, struct lab_extent *ext, void *room)
{
	unsigned long i = lab_room_index(ext, room);

	if (WARN_ONCE(!test_and_clear_bit(i, ext->handed),
		      "labyrinth: room %lu of peer %u freed but not handed out\n", i,
		      ext->peer_id)) {
		lab_count(maze, LAB_BAD_FREES, 1);
		return false;
	}
	lab_count(maze, LAB_RETURNED, 1);
	return true;
}

void dealloc_labyrinth_page_exclusive(struct labyrinth *maze, void *page)
{
	struct lab_extent *ext = lab_extent_of(maze, page);
	struct lab_magazine *mag;
	unsigned long flags;

	if (WARN_ONCE(!ext, "labyrinth: %px is no room of ours\n", page)) {
		lab_count(maze, LAB_BAD_FREES, 1);
		return;
	}
	if (!take_back(maze, ext, page))
		return;
	local_irq_save(flags);
	if (READ_ONCE(ext->gone) || atomic_add_unless(&maze->reserve_out, -1, 0)) {
		lab_release(maze, &page, 1);
	} else {
		mag = this_cpu_ptr(maze->magazines);
		raw_spin_lock(&mag->lock);
		if (mag->count == LAB_MAGAZINE_ROOMS)
			magazine_spill(maze, mag, LAB_REFILL_ROOMS);
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
		struct lab_magazine *mag = per_cpu_ptr(maze->magazines, cpu);

		raw_spin_lock_irqsave(&mag->lock, flags);
		total += mag->count;
		magazine_spill(maze, mag, mag->count);
		raw_spin_unlock_irqrestore(&mag->lock, flags);
	}
	return total;
}
EXPORT_SYMBOL_GPL(labyrinth_give_back);
