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

struct labyrinth lab_the_maze;

struct labyrinth *labyrinth_maze(void)
{
	return &lab_the_maze;
}
EXPORT_SYMBOL_GPL(labyrinth_maze);

/* What one extent is asked, rooms or a district. */
struct maze_ask {
	u32 flags, n;
	void **rooms;
};

static long ask_rooms(struct lab_extent *ext, const struct maze_ask *a)
{
	return lab_extent_claim(ext, a->flags, a->rooms, a->n);
}

static long ask_district(struct lab_extent *ext, const struct maze_ask *a)
{
	return lab_extent_claim_districts(ext, a->flags, a->rooms, a->n);
}

/* From this CPU's extent on, until one grants something. */
static long maze_claim(struct labyrinth *maze, const struct maze_ask *a,
		       long (*ask)(struct lab_extent *ext, const struct maze_ask *a))
{
	u32 first = raw_smp_processor_id(), k;
	long rc = LAB_HC_ENOMEM;

	rcu_read_lock();
	for (k = 0; k < LAB_EXTENTS_MAX; k++) {
		struct lab_extent *ext =
			rcu_dereference(maze->extents[(first + k) % LAB_EXTENTS_MAX]);

		if (!ext || READ_ONCE(ext->gone))
			continue;
		rc = ask(ext, a);
		if (rc > 0)
			break;
	}
	rcu_read_unlock();
	return rc;
}

long lab_claim(struct labyrinth *maze, u32 flags, void **rooms, u32 n)
{
	struct maze_ask a = { .flags = flags, .n = n, .rooms = rooms };

	return maze_claim(maze, &a, ask_rooms);
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

	return maze_claim(maze, &a, ask_district) == 1 ? district : NULL;
}
EXPORT_SYMBOL_GPL(labyrinth_alloc_district);

int labyrinth_free_district(struct labyrinth *maze, void *district)
{
	struct lab_extent *ext = lab_extent_of(maze, district);

	if (!ext) {
		lab_count(maze, LAB_BAD_FREES, 1);
		return -EINVAL;
	}
	if (READ_ONCE(ext->broken)) {
		lab_extent_drop(ext, LAB_HC_DISTRICT_ROOMS);
		return 0;
	}
	if (lab_extent_release_districts(ext, &district, 1) < 0) {
		lab_count(maze, LAB_BAD_FREES, 1);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(labyrinth_free_district);

struct lab_extent *lab_extent_of(struct labyrinth *maze, const void *room)
{
	struct lab_extent *found = NULL;
	u32 k;

	rcu_read_lock();
	for (k = 0; k < LAB_EXTENTS_MAX && !found; k++) {
		struct lab_extent *ext = rcu_dereference(maze->extents[k]);

		if (ext && lab_extent_has(ext, room))
			found = ext;
	}
	rcu_read_unlock();
	return found;
}

void lab_extent_put(struct lab_extent *ext, unsigned int n)
{
	if (atomic_sub_and_test(n, &ext->held))
		schedule_work(&ext->reap);
}

/* Rooms of an extent whose mailbox is closed cannot be released: the
 * server takes the extent back whole (scrubbed) when the device goes. */
void lab_extent_drop(struct lab_extent *ext, unsigned int rooms)
{
	lab_count(ext->maze, LAB_RELEASED, rooms);
	lab_extent_put(ext, rooms);
}

/* One RELEASE per extent named; @rooms is reordered on the way. */
void lab_release(struct labyrinth *maze, void **rooms, u32 n)
{
	void *mine[LAB_MAGAZINE_ROOMS];

	while (n) {
		struct lab_extent *ext = lab_extent_of(maze, rooms[0]);
		u32 m = 0, left = 0, k;

		for (k = 0; k < n; k++) {
			if (m < ARRAY_SIZE(mine) && lab_extent_of(maze, rooms[k]) == ext)
				mine[m++] = rooms[k];
			else
				rooms[left++] = rooms[k];
		}
		n = left;
		if (WARN_ON_ONCE(!ext))
			continue;	/* magazines hold only rooms of extents */
		if (READ_ONCE(ext->broken) || lab_extent_release(ext, mine, m) < 0)
			lab_extent_drop(ext, m);
	}
}

int lab_maze_add(struct labyrinth *maze, struct lab_extent *ext)
{
	u32 k;

	for (k = 0; k < LAB_EXTENTS_MAX; k++)
		if (!rcu_access_pointer(maze->extents[k])) {
			rcu_assign_pointer(maze->extents[k], ext);
			return 0;
		}
	return -ENOSPC;
}

/* Once no room of it is out: nobody looks it up after this. */
void lab_maze_forget(struct labyrinth *maze, struct lab_extent *ext)
{
	u32 k;

	for (k = 0; k < LAB_EXTENTS_MAX; k++)
		if (rcu_access_pointer(maze->extents[k]) == ext)
			RCU_INIT_POINTER(maze->extents[k], NULL);
	synchronize_rcu();
}

/* No claim reaches it after this; the rooms magazines keep go home now,
 * those callers hold drop when they are freed. */
void lab_maze_retire(struct labyrinth *maze, struct lab_extent *ext)
{
	WRITE_ONCE(ext->gone, true);
	synchronize_rcu();
	labyrinth_give_back(maze);
	WRITE_ONCE(ext->broken, true);
}

void lab_pressure_heard(struct labyrinth *maze)
{
	lab_count(maze, LAB_PRESSURE, 1);
	schedule_work(&maze->pressure);
}

static void pressure_work(struct work_struct *w)
{
	struct labyrinth *maze = container_of(w, struct labyrinth, pressure);

	lab_count(maze, LAB_GIVEN_BACK, labyrinth_give_back(maze));
	lab_elastic_heard();
}

long labyrinth_room_number(struct labyrinth *maze, const void *page)
{
	struct lab_extent *ext = lab_extent_of(maze, page);

	if (!ext)
		return -1;
	return ext->first_room + lab_room_index(ext, page);
}
EXPORT_SYMBOL_GPL(labyrinth_room_number);

void labyrinth_stats(struct labyrinth *maze, struct labyrinth_stats *st)
{
	struct lab_counters sum = {};
	int cpu, c;
	u32 k;

	for_each_possible_cpu(cpu)
		for (c = 0; c < LAB_COUNTERS; c++)
			sum.v[c] += per_cpu_ptr(maze->counters, cpu)->v[c];
	*st = (struct labyrinth_stats){
		.rooms_held = sum.v[LAB_CLAIMED] - sum.v[LAB_RELEASED],
		.rooms_handed = sum.v[LAB_HANDED] - sum.v[LAB_RETURNED],
		.magazine_hits = sum.v[LAB_HITS], .magazine_misses = sum.v[LAB_MISSES],
		.claims = sum.v[LAB_CLAIMS], .releases = sum.v[LAB_RELEASES],
		.rooms_claimed = sum.v[LAB_CLAIMED], .rooms_released = sum.v[LAB_RELEASED],
		.pressure_episodes = sum.v[LAB_PRESSURE],
		.rooms_given_back = sum.v[LAB_GIVEN_BACK],
		.atomic_refilled = sum.v[LAB_ATOMIC_REFILLED], .bad_frees = sum.v[LAB_BAD_FREES],
		.bad_answers = sum.v[LAB_BAD_ANSWERS], .claim_ns = sum.v[LAB_CLAIM_NS],
	};
	rcu_read_lock();
	for (k = 0; k < LAB_EXTENTS_MAX; k++) {
		struct lab_extent *ext = rcu_dereference(maze->extents[k]);

		if (ext && !READ_ONCE(ext->gone)) {
			st->extents++;
			st->rooms_reserve += ext->reserve;
		}
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(labyrinth_stats);

static int __init lab_init(void)
{
	struct labyrinth *maze = &lab_the_maze;
	int rc;

	INIT_WORK(&maze->pressure, pressure_work);
	maze->counters = alloc_percpu(struct lab_counters);
	if (!maze->counters)
		return -ENOMEM;
	rc = lab_magazines_init(maze);
	if (!rc)
		rc = lab_counters_init(maze);
	if (!rc)
		rc = lab_elastic_init(lab_counters_dir());
	if (!rc) {
		rc = lab_driver_register();
		if (rc)
			lab_elastic_exit();
	}
	if (!rc) {
		rc = lab_port_register();
		if (rc) {
			lab_driver_unregister();
			lab_elastic_exit();
		}
	}
	if (rc) {
		lab_counters_exit();
		free_percpu(maze->magazines);
		free_percpu(maze->counters);
	}
	return rc;
}

static void __exit lab_exit(void)
{
	lab_port_unregister();
	lab_elastic_exit();
	lab_driver_unregister();
	cancel_work_sync(&lab_the_maze.pressure);
	lab_counters_exit();
	free_percpu(lab_the_maze.magazines);
	free_percpu(lab_the_maze.counters);
}

module_init(lab_init);
module_exit(lab_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Rooms of the host's labyrinth for kernel code, from any context");
