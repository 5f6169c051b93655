// SPDX-License-Identifier: GPL-2.0
/*
 * The maze: every extent this guest was lent, one per labyrinth device
 * (ivshmem), or the room window of our own monitor (its hypercall port).
 * Claims go from this CPU's extent on to the next one that has rooms
 * (as the minimal guest kernel does); a room goes back through the extent
 * that lent it. The table is read under RCU (interrupts off count as a
 * reader), so a removed extent is never freed under a claim.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "maze.h"

struct labyrinth the_maze;

struct labyrinth *labyrinth_maze(void)
{
	return &the_maze;
}
EXPORT_SYMBOL_GPL(labyrinth_maze);

/* What one extent is asked, rooms or a district. */
struct maze_ask {
	u32 flags, n;
	void **rooms;
};

static long ask_rooms(struct maze_extent *ext, const struct maze_ask *a)
{
	return maze_extent_claim(ext, a->flags, a->rooms, a->n);
}

static long ask_district(struct maze_extent *ext, const struct maze_ask *a)
{
	return maze_extent_claim_districts(ext, a->flags, a->rooms, a->n);
}

/* From this CPU's extent on, until one grants something. */
static long maze_claim_first(struct labyrinth *maze, const struct maze_ask *a,
		       long (*ask)(struct maze_extent *ext, const struct maze_ask *a))
{
	u32 first = raw_smp_processor_id(), k;
	long rc = LAB_HC_ENOMEM;

	rcu_read_lock();
	for (k = 0; k < MAZE_EXTENTS_MAX; k++) {
		struct maze_extent *ext =
			rcu_dereference(maze->extents[(first + k) % MAZE_EXTENTS_MAX]);

		if (!ext || READ_ONCE(ext->gone))
			continue;
		rc = ask(ext, a);
		if (rc > 0)
			break;
	}
	rcu_read_unlock();
	return rc;
}

long maze_claim(struct labyrinth *maze, u32 flags, void **rooms, u32 n)
{
	struct maze_ask a = { .flags = flags, .n = n, .rooms = rooms };

	return maze_claim_first(maze, &a, ask_rooms);
}

static_assert(LABYRINTH_DISTRICT_SIZE == LAB_HC_DISTRICT_SIZE &&
	      LABYRINTH_DISTRICT_ROOMS == LAB_HC_DISTRICT_ROOMS, "the ABI's district");

/* Districts are not cached: each is one call each way, and 2 MiB kept in
 * a magazine would be kept from every other guest. */
void *labyrinth_alloc_district(struct labyrinth *maze, gfp_t gfp)
{
	void *district = NULL;
	struct maze_ask a = {
		.flags = gfp & __GFP_HIGH ? LAB_HC_GFP_ATOMIC : LAB_HC_GFP_NORMAL,
		.n = 1, .rooms = &district,
	};

	return maze_claim_first(maze, &a, ask_district) == 1 ? district : NULL;
}
EXPORT_SYMBOL_GPL(labyrinth_alloc_district);

int labyrinth_free_district(struct labyrinth *maze, void *district)
{
	struct maze_extent *ext = maze_extent_of(maze, district);

	if (!ext) {
		maze_count(maze, MAZE_BAD_FREES, 1);
		return -EINVAL;
	}
	if (READ_ONCE(ext->broken)) {
		maze_extent_drop(ext, LAB_HC_DISTRICT_ROOMS);
		return 0;
	}
	if (maze_extent_release_districts(ext, &district, 1) < 0) {
		maze_count(maze, MAZE_BAD_FREES, 1);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(labyrinth_free_district);

struct maze_extent *maze_extent_of(struct labyrinth *maze, const void *room)
{
	struct maze_extent *found = NULL;
	u32 k;

	rcu_read_lock();
	for (k = 0; k < MAZE_EXTENTS_MAX && !found; k++) {
		struct maze_extent *ext = rcu_dereference(maze->extents[k]);

		if (ext && maze_extent_has(ext, room))
			found = ext;
	}
	rcu_read_unlock();
	return found;
}

void maze_extent_put(struct maze_extent *ext, unsigned int n)
{
	if (atomic_sub_and_test(n, &ext->held))
		schedule_work(&ext->reap);
}

/* Rooms of an extent whose mailbox is closed cannot be released: the
 * server takes the extent back whole (scrubbed) when the device goes. */
void maze_extent_drop(struct maze_extent *ext, unsigned int rooms)
{
	maze_count(ext->maze, MAZE_RELEASED, rooms);
	maze_extent_put(ext, rooms);
}

/* One RELEASE per extent named; @rooms is reordered on the way. */
void maze_release(struct labyrinth *maze, void **rooms, u32 n)
{
	void *mine[MAZE_MAGAZINE_ROOMS];

	while (n) {
		struct maze_extent *ext = maze_extent_of(maze, rooms[0]);
		u32 m = 0, left = 0, k;

		for (k = 0; k < n; k++) {
			if (m < ARRAY_SIZE(mine) && maze_extent_of(maze, rooms[k]) == ext)
				mine[m++] = rooms[k];
			else
				rooms[left++] = rooms[k];
		}
		n = left;
		if (WARN_ON_ONCE(!ext))
			continue;	/* magazines hold only rooms of extents */
		if (READ_ONCE(ext->broken) || maze_extent_release(ext, mine, m) < 0)
			maze_extent_drop(ext, m);
	}
}

int maze_add(struct labyrinth *maze, struct maze_extent *ext)
{
	u32 k;

	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (!rcu_access_pointer(maze->extents[k])) {
			rcu_assign_pointer(maze->extents[k], ext);
			return 0;
		}
	return -ENOSPC;
}

/* Once no room of it is out: nobody looks it up after this. */
void maze_forget(struct labyrinth *maze, struct maze_extent *ext)
{
	u32 k;

	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (rcu_access_pointer(maze->extents[k]) == ext)
			RCU_INIT_POINTER(maze->extents[k], NULL);
	synchronize_rcu();
}

/* No claim reaches it after this; the rooms magazines keep go home now,
 * those callers hold drop when they are freed. */
void maze_retire(struct labyrinth *maze, struct maze_extent *ext)
{
	WRITE_ONCE(ext->gone, true);
	synchronize_rcu();
	labyrinth_give_back(maze);
	WRITE_ONCE(ext->broken, true);
}

void maze_pressure_heard(struct labyrinth *maze)
{
	maze_count(maze, MAZE_PRESSURE, 1);
	schedule_work(&maze->pressure);
}

static void pressure_work(struct work_struct *w)
{
	struct labyrinth *maze = container_of(w, struct labyrinth, pressure);

	maze_count(maze, MAZE_GIVEN_BACK, labyrinth_give_back(maze));
	maze_elastic_heard();
}

long labyrinth_room_number(struct labyrinth *maze, const void *page)
{
	struct maze_extent *ext = maze_extent_of(maze, page);

	if (!ext)
		return -1;
	return ext->first_room + maze_room_index(ext, page);
}
EXPORT_SYMBOL_GPL(labyrinth_room_number);

void labyrinth_stats(struct labyrinth *maze, struct labyrinth_stats *st)
{
	struct maze_counters sum = {};
	int cpu, c;
	u32 k;

	for_each_possible_cpu(cpu)
		for (c = 0; c < MAZE_COUNTERS; c++)
			sum.v[c] += per_cpu_ptr(maze->counters, cpu)->v[c];
	*st = (struct labyrinth_stats){
		.rooms_held = sum.v[MAZE_CLAIMED] - sum.v[MAZE_RELEASED],
		.rooms_handed = sum.v[MAZE_HANDED] - sum.v[MAZE_RETURNED],
		.magazine_hits = sum.v[MAZE_HITS], .magazine_misses = sum.v[MAZE_MISSES],
		.claims = sum.v[MAZE_CLAIMS], .releases = sum.v[MAZE_RELEASES],
		.rooms_claimed = sum.v[MAZE_CLAIMED], .rooms_released = sum.v[MAZE_RELEASED],
		.pressure_episodes = sum.v[MAZE_PRESSURE],
		.rooms_given_back = sum.v[MAZE_GIVEN_BACK],
		.atomic_refilled = sum.v[MAZE_ATOMIC_REFILLED], .bad_frees = sum.v[MAZE_BAD_FREES],
		.bad_answers = sum.v[MAZE_BAD_ANSWERS], .claim_ns = sum.v[MAZE_CLAIM_NS],
	};
	rcu_read_lock();
	for (k = 0; k < MAZE_EXTENTS_MAX; k++) {
		struct maze_extent *ext = rcu_dereference(maze->extents[k]);

		if (ext && !READ_ONCE(ext->gone)) {
			st->extents++;
			st->rooms_reserve += ext->reserve;
		}
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(labyrinth_stats);

static int __init maze_init(void)
{
	struct labyrinth *maze = &the_maze;
	int rc;

	INIT_WORK(&maze->pressure, pressure_work);
	maze->counters = alloc_percpu(struct maze_counters);
	if (!maze->counters)
		return -ENOMEM;
	rc = maze_magazines_init(maze);
	if (!rc)
		rc = maze_counters_init(maze);
	if (!rc)
		rc = maze_elastic_init(maze_counters_dir());
	if (!rc) {
		rc = maze_driver_register();
		if (rc)
			maze_elastic_exit();
	}
	if (!rc) {
		rc = maze_port_register();
		if (rc) {
			maze_driver_unregister();
			maze_elastic_exit();
		}
	}
	if (rc) {
		maze_counters_exit();
		free_percpu(maze->magazines);
		free_percpu(maze->counters);
	}
	return rc;
}

static void __exit maze_exit(void)
{
	maze_port_unregister();
	maze_elastic_exit();
	maze_driver_unregister();
	cancel_work_sync(&the_maze.pressure);
	maze_counters_exit();
	free_percpu(the_maze.magazines);
	free_percpu(the_maze.counters);
}

module_init(maze_init);
module_exit(maze_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Rooms of the host's labyrinth for kernel code, from any context");
