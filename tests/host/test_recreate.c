// SPDX-License-Identifier: MIT
/*
 * test_recreate.c - a labyrinth destroyed and made again under the same
 * name while somebody opens it.  The metadata file is found first and the
 * extents (the rooms) after it, by name; made deterministic by doing the
 * destroy and the create where an attach stands between the two
 * (lab_test_open_pause).  Must hold: whoever attaches ends up with one
 * labyrinth, hall and rooms together (the new one), or with an error;
 * never the old hall over the new rooms, where both labyrinths would hand
 * out the same pages.  And a destroy and a create of the same name at
 * once (lab_test_destroy_pause, lab_test_publish_pause): the destroy
 * takes away its own labyrinth's files, never the create's.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_hooks.h"
#include "labyrinth_host.h"
#include "nb.h"

#define ROOMS 1024
#define CLAIM 8

static char name[64];
static int pauses;
static bool recreate, destroy_only;

static void setup(void)
{
	struct lab_geometry geo = { ROOMS, 1, 0 };

	nb_name(name, sizeof(name), "recreate");
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
	pauses = 0;
}

static void teardown(void)
{
	lab_test_open_pause = NULL;
	lab_test_found_pause = NULL;
	lab_test_destroy_pause = NULL;
	lab_test_publish_pause = NULL;
	lab_destroy(name);
}

TestSuite(recreate, .init = setup, .fini = teardown, .timeout = 30);

/* Between the metadata file and the extents: the first time only, the
 * name is destroyed, and made again unless @destroy_only. */
static void pause_hook(const char *n)
{
	struct lab_geometry geo = { ROOMS, 1, 0 };

	if (pauses++)
		return;
	cr_assert_str_eq(n, name);
	cr_assert_eq(lab_destroy(n), 0);
	if (!destroy_only)
		cr_assert_eq(lab_create(n, &geo), 0);
	recreate = !destroy_only;
}

/* Rooms claimed through @lab are owned, in the labyrinth now under the
 * name, by @lab's guest, and hold what @lab wrote there. */
static void expect_one_labyrinth(struct labyrinth *lab)
{
	struct labyrinth *now;
	struct lab_cursor cur;
	uint32_t rooms[CLAIM];
	unsigned int got;

	lab_test_open_pause = NULL;
	cr_assert_eq(lab_open(name, &now), 0);
	lab_cursor_init(&cur, lab, 1);
	got = lab_claim(&cur, LAB_GFP_ATOMIC, 0, CLAIM, rooms);
	cr_assert_eq(got, CLAIM);
	for (unsigned int i = 0; i < got; i++) {
		uint64_t *p = (uint64_t *)((char *)lab_pool(lab) +
					   (size_t)rooms[i] * LAB_ROOM_SIZE);
		uint64_t *q = (uint64_t *)((char *)lab_pool(now) +
					   (size_t)rooms[i] * LAB_ROOM_SIZE);

		*p = 0x5a5a5a5a00000000ull | rooms[i];
		cr_expect_eq(lab_room_owner(now, rooms[i]), lab_cursor_owner(&cur),
			     "room %u: owner %#x in the labyrinth named %s, "
			     "claimed by %#x through the handle: two halls, "
			     "one pool", rooms[i], lab_room_owner(now, rooms[i]),
			     name, lab_cursor_owner(&cur));
		cr_expect_eq(*q, *p);
	}
	cr_expect_eq(lab_release(&cur, rooms, got), 0);
	lab_cursor_park(&cur);
	lab_detach(now);
}

/* An attach whose @hook destroys the name and makes it again on the way:
 * it ends up with the new labyrinth, whole. */
static void attach_across_a_recreate(void (**hook)(const char *))
{
	struct labyrinth *lab;

	destroy_only = false;
	*hook = pause_hook;
	cr_assert_eq(lab_attach(name, &lab), 0);
	*hook = NULL;
	cr_assert(recreate);
	expect_one_labyrinth(lab);
	lab_detach(lab);
}

Test(recreate, attach_meets_a_destroy_and_a_create)
{
	attach_across_a_recreate(&lab_test_open_pause);
}

Test(recreate, open_meets_a_destroy_and_a_create)
{
	struct labyrinth *lab, *leased;

	destroy_only = false;
	lab_test_open_pause = pause_hook;
	cr_assert_eq(lab_open(name, &lab), 0);
	cr_assert(recreate);
	/* What the lease-less handle maps is what a lease beside it claims
	 * in (serve's peers): the same pairing. */
	cr_assert_eq(lab_attach_beside(lab, &leased), 0);
	expect_one_labyrinth(leased);
	lab_detach(leased);
	lab_detach(lab);
}

/* Destroyed for good meanwhile: no labyrinth of that name (status 3 of
 * the command), not a corrupt one. */
Test(recreate, attach_meets_a_destroy)
{
	struct labyrinth *lab;

	destroy_only = true;
	lab_test_open_pause = pause_hook;
	cr_assert_eq(lab_attach(name, &lab), LAB_ENOENT);
	cr_assert_eq(pauses, 1);
}

/* Destroyed between the open and the look at whose file it is: the file
 * has no name left (link count 0), which is no labyrinth of that name,
 * not a file to distrust (status 5 of the command, once). */
Test(recreate, open_meets_a_destroy_before_the_trust_check)
{
	struct labyrinth *lab;

	destroy_only = true;
	lab_test_found_pause = pause_hook;
	cr_expect_eq(lab_open(name, &lab), LAB_ENOENT);
	pauses = 0;
	cr_assert_eq(lab_create(name, &(struct lab_geometry){ ROOMS, 1, 0 }), 0);
	cr_expect_eq(lab_attach(name, &lab), LAB_ENOENT);
	lab_test_found_pause = NULL;
}

Test(recreate, attach_meets_a_destroy_and_a_create_before_the_trust_check)
{
	attach_across_a_recreate(&lab_test_found_pause);
}

#define BIGGER 4096	/* 4 extents of 1024 rooms, where ROOMS has 2 */

static bool made;

/* A create of a bigger labyrinth, as soon as the destroy has unlinked
 * its own extents: then every name it needs is free. */
static void create_after(const char *n, uint32_t k)
{
	struct lab_geometry geo = { BIGGER, 1, 0 };

	if (made || k < 2)
		return;
	cr_assert_eq(lab_create(n, &geo), 0);
	made = true;
}

static void expect_whole(uint32_t rooms)
{
	struct labyrinth *lab;

	cr_assert_eq(lab_open(name, &lab), 0,
		     "the labyrinth made meanwhile lost files to the destroy");
	cr_expect_eq(lab_rooms(lab), rooms);
	lab_detach(lab);
}

Test(recreate, destroy_leaves_a_create_that_follows_it_alone)
{
	made = false;
	lab_test_destroy_pause = create_after;
	cr_assert_eq(lab_destroy(name), 0);
	lab_test_destroy_pause = NULL;
	cr_assert(made);
	expect_whole(BIGGER);
	cr_assert_eq(lab_destroy(name), 0);
	cr_assert_eq(lab_destroy(name), LAB_ENOENT);
}

/* A destroy while a create has linked its extents, not yet its metadata
 * file: there is no labyrinth yet, and nothing of the create's goes. */
static void destroy_between(const char *n)
{
	if (made)
		return;
	made = true;
	cr_assert_eq(lab_destroy(n), LAB_ENOENT);
}

Test(recreate, destroy_leaves_a_create_between_its_names_alone)
{
	struct lab_geometry geo = { BIGGER, 1, 0 };

	cr_assert_eq(lab_destroy(name), 0);
	made = false;
	lab_test_publish_pause = destroy_between;
	cr_assert_eq(lab_create(name, &geo), 0);
	lab_test_publish_pause = NULL;
	cr_assert(made);
	expect_whole(BIGGER);
}

static void die_between(const char *n)
{
	(void)n;
	_exit(0);
}

/* A creator killed between its two names: its extents are leftovers,
 * which the next destroy takes away, so the name can be made again. */
Test(recreate, destroy_takes_a_killed_creators_leftovers)
{
	struct lab_geometry geo = { BIGGER, 1, 0 };
	char path[128];
	struct stat st;
	int status;
	pid_t pid;

	cr_assert_eq(lab_destroy(name), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		lab_test_publish_pause = die_between;
		lab_create(name, &geo);
		_exit(1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	snprintf(path, sizeof(path), "/dev/shm/labyrinth.%s+3", name);
	cr_assert_eq(stat(path, &st), 0, "the creator left no extents");
	cr_assert_eq(lab_destroy(name), LAB_ENOENT);
	cr_assert_neq(stat(path, &st), 0, "the leftovers stayed");
	cr_assert_eq(lab_create(name, &geo), 0);
	expect_whole(BIGGER);
}
