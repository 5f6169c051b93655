/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The labyrinth for Linux guests: whole 4 KiB rooms lent by the host
 * (`labyrinth serve`, through ivshmem-doorbell devices; or our own monitor,
 * through its hypercall port where ACPI describes it), handed out one at a
 * time to kernel code, callable from any context including hard IRQ.
 */
#ifndef LABYRINTH_LINUX_H
#define LABYRINTH_LINUX_H

#include <linux/gfp.h>
#include <linux/types.h>

struct labyrinth;

/**
 * struct labyrinth_stats - what the maze has done, summed over CPUs
 * @extents: extents in use now (ivshmem devices, and our monitor's window)
 * @rooms_held: rooms claimed from the host and not released (magazines
 *	included)
 * @rooms_handed: rooms handed to callers and not freed yet
 * @rooms_reserve: the reserve of every extent: rooms only GFP_ATOMIC
 *	(__GFP_HIGH) callers may take
 * @magazine_hits: allocations served from the CPU's magazine
 * @magazine_misses: allocations that found it empty
 * @claims: CLAIM calls (mailbox or hypercall port)
 * @releases: RELEASE calls
 * @rooms_claimed: rooms those claims granted
 * @rooms_released: rooms those releases gave back
 * @pressure_episodes: pressure interrupts heard (MSI-X vector 1 of a
 *	device, which also rings for the host's ask of a size: elastic.c;
 *	the port's pressure line)
 * @rooms_given_back: rooms the magazines gave back under pressure
 * @atomic_refilled: rooms GFP_ATOMIC callers' refills brought (they may
 *	take the reserve)
 * @bad_frees: frees of a room not handed out (twice, or never ours)
 * @bad_answers: answers of a server naming a room outside its extent
 * @claim_ns: time spent in CLAIM calls, for the mean round trip
 */
struct labyrinth_stats {
	u64 extents, rooms_held, rooms_handed, rooms_reserve;
	u64 magazine_hits, magazine_misses;
	u64 claims, releases, rooms_claimed, rooms_released;
	u64 pressure_episodes, rooms_given_back, atomic_refilled;
	u64 bad_frees, bad_answers, claim_ns;
};

/**
 * labyrinth_maze() - this guest's maze: every labyrinth device it has
 *
 * Return: the maze; never NULL once the module is loaded. With no device
 * the allocations below find nothing.
 */
struct labyrinth *labyrinth_maze(void);

/**
 * labyrinth_alloc_room() - one room, exclusive to the caller
 * @maze: labyrinth_maze()
 * @gfp: GFP_ATOMIC (any flag set with __GFP_HIGH) may take the reserve;
 *	anything else, GFP_KERNEL included, may not claim from it (it may be
 *	handed a reserve room a GFP_ATOMIC refill left in this CPU's
 *	magazine, until pressure takes the magazine back). Never sleeps.
 *
 * Context: any, hard IRQ included. Interrupts are off for the time of one
 * mailbox or hypercall round trip at most (on a magazine miss).
 * Return: a page-aligned, 4096-byte room, mapped write-back, owned by the
 * caller alone until dealloc_labyrinth_page_exclusive(); NULL when the
 * labyrinth has no room for @gfp.
 */
void *labyrinth_alloc_room(struct labyrinth *maze, gfp_t gfp);

/**
 * allocpage_gfp_atomic_exclusive() - one room, or a panic
 * @maze: labyrinth_maze()
 *
 * As labyrinth_alloc_room(@maze, GFP_ATOMIC).
 *
 * Context: any, hard IRQ included.
 * Return: the room. With none left, reserve included, the kernel panics
 * with "Sorry, the labyrinth has no exit".
 */
void *allocpage_gfp_atomic_exclusive(struct labyrinth *maze);

/**
 * dealloc_labyrinth_page_exclusive() - give a room back
 * @maze: labyrinth_maze()
 * @page: a room this maze handed out, not freed since
 *
 * Any CPU may free any room. A room that was not handed out (freed twice,
 * or never ours) is refused with a warning and counted in @bad_frees.
 *
 * Context: any, hard IRQ included.
 */
void dealloc_labyrinth_page_exclusive(struct labyrinth *maze, void *page);

#define LABYRINTH_DISTRICT_ROOMS 512		/* rooms of a district */
#define LABYRINTH_REFILL_ROOMS 32		/* a magazine's refill claims at once */
#define LABYRINTH_DISTRICT_SIZE (2u << 20)	/* its bytes */

/**
 * labyrinth_alloc_district() - a whole district: 512 rooms side by side
 * @maze: labyrinth_maze()
 * @gfp: as labyrinth_alloc_room(): __GFP_HIGH may take the reserve
 *
 * 2 MiB, at a 2 MiB step of its device's memory (so a 2 MiB-aligned
 * guest-physical address), every byte zero, claimed in one call and never
 * cached. Its pages are not rooms of their own: free the district whole
 * with labyrinth_free_district(), never a page of it with
 * dealloc_labyrinth_page_exclusive().
 *
 * Context: any, hard IRQ included (one round trip, interrupts off).
 * Return: the district's first byte, or NULL when no district is wholly
 * free for @gfp.
 */
void *labyrinth_alloc_district(struct labyrinth *maze, gfp_t gfp);

/**
 * labyrinth_free_district() - give a district back
 * @maze: labyrinth_maze()
 * @district: what labyrinth_alloc_district() returned, not freed since
 *
 * Context: any, hard IRQ included.
 * Return: 0, or -EINVAL for anything else (counted in @bad_frees; nothing
 * is given back).
 */
int labyrinth_free_district(struct labyrinth *maze, void *district);

/**
 * labyrinth_give_back() - release every room the magazines keep
 * @maze: labyrinth_maze()
 *
 * What the pressure interrupt does. Rooms handed to callers stay theirs.
 *
 * Context: any.
 * Return: the rooms given back.
 */
unsigned int labyrinth_give_back(struct labyrinth *maze);

/**
 * labyrinth_room_number() - which room of the labyrinth a page is
 * @maze: labyrinth_maze()
 * @page: a room this maze handed out
 *
 * The host's number for it, as `labyrinth info` and `labyrinth map` count
 * rooms: unique among every room of every device of this guest.
 *
 * Context: any.
 * Return: the number, or -1 if @page is no room of this maze.
 */
long labyrinth_room_number(struct labyrinth *maze, const void *page);

/**
 * labyrinth_stats() - the counters, as sysfs shows them
 * @maze: labyrinth_maze()
 * @st: filled in
 */
void labyrinth_stats(struct labyrinth *maze, struct labyrinth_stats *st);

#endif
