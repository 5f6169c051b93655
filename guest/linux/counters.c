// SPDX-License-Identifier: GPL-2.0
/* The counters in sysfs, one value a file: /sys/kernel/labyrinth/NAME. */
#include <linux/kobject.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "maze.h"

static struct kobject *dir;

struct lab_attr {
	struct kobj_attribute attr;
	size_t offset;		/* in struct labyrinth_stats */
};

static ssize_t show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct lab_attr *la = container_of(attr, struct lab_attr, attr);
	struct labyrinth_stats st;

	labyrinth_stats(&lab_the_maze, &st);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&st + la->offset));
}

#define LAB_ATTR(field) { __ATTR(field, 0444, show, NULL), \
			  offsetof(struct labyrinth_stats, field) }

static struct lab_attr attrs[] = {
	LAB_ATTR(extents), LAB_ATTR(rooms_held), LAB_ATTR(rooms_handed),
	LAB_ATTR(rooms_reserve), LAB_ATTR(magazine_hits), LAB_ATTR(magazine_misses),
	LAB_ATTR(claims), LAB_ATTR(releases), LAB_ATTR(rooms_claimed),
	LAB_ATTR(rooms_released), LAB_ATTR(pressure_episodes), LAB_ATTR(rooms_given_back),
	LAB_ATTR(atomic_refilled), LAB_ATTR(bad_frees), LAB_ATTR(bad_answers),
	LAB_ATTR(claim_ns),
};

static struct attribute *attr_list[ARRAY_SIZE(attrs) + 1];
static const struct attribute_group group = { .attrs = attr_list };

int lab_counters_init(struct labyrinth *maze)
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

struct kobject *lab_counters_dir(void)
{
	return dir;
}

void lab_counters_exit(void)
{
	kobject_put(dir);
	dir = NULL;
}
