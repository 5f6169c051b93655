// SPDX-License-Identifier: GPL-2.0
/* The counters in sysfs, one value a file: /sys/kernel/labyrinth/NAME. */
#include <linux/kobject.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "maze.h"

static struct kobject *dir;

struct maze_attr {
	struct kobj_attribute attr;
	size_t offset;		/* in struct labyrinth_stats */
};

static ssize_t show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct maze_attr *la = container_of(attr, struct maze_attr, attr);
	struct labyrinth_stats st;

	labyrinth_stats(&the_maze, &st);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&st + la->offset));
}

#define MAZE_ATTR(field) { __ATTR(field, 0444, show, NULL), \
			  offsetof(struct labyrinth_stats, field) }

static struct maze_attr attrs[] = {
	MAZE_ATTR(extents), MAZE_ATTR(rooms_held), MAZE_ATTR(rooms_handed),
	MAZE_ATTR(rooms_reserve), MAZE_ATTR(magazine_hits), MAZE_ATTR(magazine_misses),
	MAZE_ATTR(claims), MAZE_ATTR(releases), MAZE_ATTR(rooms_claimed),
	MAZE_ATTR(rooms_released), MAZE_ATTR(pressure_episodes), MAZE_ATTR(rooms_given_back),
	MAZE_ATTR(atomic_refilled), MAZE_ATTR(bad_frees), MAZE_ATTR(bad_answers),
	MAZE_ATTR(claim_ns),
};

static struct attribute *attr_list[ARRAY_SIZE(attrs) + 1];
static const struct attribute_group group = { .attrs = attr_list };

int maze_counters_init(struct labyrinth *maze)
{
	int k, rc;

	for (k = 0; k < ARRAY_SIZE(attrs); k++)
		attr_list[k] = &attrs[k].attr.attr;
	dir = kobject_create_and_add("labyrinth", kernel_kobj);
	if (!dir)
		return -ENOMEM;
	rc = sysfs_create_group(dir, &group);
	if (rc) {
		kobject_put(dir);
		dir = NULL;
	}
	return rc;
}

struct kobject *maze_counters_dir(void)
{
	return dir;
}

void maze_counters_exit(void)
{
	kobject_put(dir);
	dir = NULL;
}
