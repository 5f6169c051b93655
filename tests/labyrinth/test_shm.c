// SPDX-License-Identifier: MIT
/*
 * test_shm.c - the host API: named and private labyrinths, leases, the fd
 * layout the VMM maps rooms from.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "handle.h"	/* builds its handles by hand */
#include "labyrinth_host.h"
#include "labyrinth_extent.h"

static char name[64];

static void setup(void)
{
	struct lab_geometry geo = { 2048, 2, 16 };

	snprintf(name, sizeof(name), "test-shm-%d", getpid());
	cr_assert_eq(lab_create(name, &geo), 0);
}

static void teardown(void)
{
	lab_destroy(name);
}

Test(shm, create_errors)
{
	struct lab_geometry ok = { 1024, 1, 0 }, bad[] = {
		{ 0, 1, 0 }, { 1024, 0, 0 }, { 1024, 3, 0 }, { 1024, 1, 1024 },
		{ LAB_MAX_ROOMS + 1, 1, 0 },
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(lab_create("test-shm-bad", &bad[i]), LAB_EINVAL);
	cr_assert_eq(lab_create("", &ok), LAB_EINVAL);
	cr_assert_eq(lab_create("../etc", &ok), LAB_EINVAL);
	cr_assert_eq(lab_create(".hidden", &ok), LAB_EINVAL);
}

Test(shm, names, .init = setup, .fini = teardown)
{
	struct lab_geometry geo = { 1024, 1, 0 };
	struct labyrinth *m;

	cr_assert_eq(lab_create(name, &geo), LAB_EEXIST);
	cr_assert_eq(lab_attach("test-shm-none", &m), LAB_ENOENT);
	cr_assert_eq(lab_open("test-shm-none", &m), LAB_ENOENT);
	cr_assert_eq(lab_destroy("test-shm-none"), LAB_ENOENT);
}

Test(shm, attachers_get_their_own_lease, .init = setup, .fini = teardown)
{
	struct labyrinth *m[LAB_MAX_GUESTS], *extra;
	struct lab_lease_info l[LAB_MAX_GUESTS];

	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++) {
		cr_assert_eq(lab_attach(name, &m[i]), 0);
		cr_assert_eq(m[i]->guest, i);
	}
	cr_assert_eq(lab_attach(name, &extra), LAB_EBUSY);
	cr_assert_eq(lab_leases(m[0], l, LAB_MAX_GUESTS), LAB_MAX_GUESTS);
	cr_assert(l[5].alive);
	cr_assert_eq(l[5].pid, getpid());
	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++)
		lab_detach(m[i]);
}

/* Handles beside one mapping: each its own lease (a lease is an OFD lock,
 * and one description would be granted every slot it holds again), the
 * same rooms, and a detach that leaves the others and the mapping alone. */
Test(shm, handles_beside_one_mapping, .init = setup, .fini = teardown)
{
	struct labyrinth *base, *m[LAB_MAX_GUESTS], *extra;
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct lab_cursor cur;
	uint32_t room;

	cr_assert_eq(lab_open(name, &base), 0);
	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++) {
		cr_assert_eq(lab_attach_beside(base, &m[i]), 0);
		cr_assert_eq(m[i]->guest, i, "beside handle %u got lease %u", i, m[i]->guest);
		cr_assert_eq(lab_pool(m[i]), lab_pool(base), "a mapping of its own");
	}
	cr_assert_eq(lab_attach_beside(base, &extra), LAB_EBUSY);
	cr_assert_eq(lab_attach(name, &extra), LAB_EBUSY, "a lease taken twice");
	cr_assert_eq(lab_leases(base, l, LAB_MAX_GUESTS), LAB_MAX_GUESTS);
	lab_cursor_init(&cur, m[3], 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_ATOMIC, 0, 1, &room), 1);
	memset((char *)lab_pool(m[3]) + (size_t)room * LAB_ROOM_SIZE, 0x5a, LAB_ROOM_SIZE);
	lab_cursor_park(&cur);
	lab_detach(m[3]);	/* frees its room (zeroed), keeps the mapping */
	cr_assert_eq(((char *)lab_pool(base))[(size_t)room * LAB_ROOM_SIZE + 7], 0);
	cr_assert_eq(lab_leases(base, l, LAB_MAX_GUESTS), LAB_MAX_GUESTS - 1);
	cr_assert_eq(lab_attach_beside(base, &m[3]), 0);
	cr_assert_eq(m[3]->guest, 3, "the freed slot is taken again");
	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++)
		lab_detach(m[i]);
	cr_assert_eq(lab_leases(base, l, LAB_MAX_GUESTS), 0);
	lab_detach(base);
}

/* With no descriptor left, a handle beside fails cleanly: no lease taken,
 * the mapping untouched, and it works once descriptors are back. */
Test(shm, beside_without_a_descriptor, .init = setup, .fini = teardown)
{
	struct labyrinth *base, *m;
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct rlimit old, low;
	int probe = dup(0);

	cr_assert_eq(lab_open(name, &base), 0);
	cr_assert_geq(probe, 0);
	close(probe);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;	/* the lowest free descriptor: none left */
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	cr_expect_eq(lab_attach_beside(base, &m), -EMFILE);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	cr_expect_eq(lab_leases(base, l, LAB_MAX_GUESTS), 0, "a lease was left behind");
	cr_assert_eq(lab_attach_beside(base, &m), 0);
	lab_detach(m);
	lab_detach(base);
}

Test(shm, rooms_are_shared_through_the_fd, .init = setup, .fini = teardown)
{
	struct labyrinth *a, *b;
	struct lab_cursor cur;
	uint32_t room;
	char *pa, *pb, *window;

	cr_assert_eq(lab_attach(name, &a), 0);
	cr_assert_eq(lab_attach(name, &b), 0);
	cr_assert(lab_pinned(a), "mlock failed (RLIMIT_MEMLOCK?)");
	cr_assert_eq(lab_pool_size(a), 2048 * LAB_ROOM_SIZE);
	lab_cursor_init(&cur, a, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 1, 1, &room), 1);
	cr_assert_geq(room, 1024, "corridor 1 starts at room 1024");
	pa = (char *)lab_pool(a) + (size_t)room * LAB_ROOM_SIZE;
	pb = (char *)lab_pool(b) + (size_t)room * LAB_ROOM_SIZE;
	strcpy(pa, "minotaur");
	cr_assert_str_eq(pb, "minotaur");
	/* What the VMM does: map a room from its extent's file. */
	window = mmap(NULL, LAB_ROOM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      lab_extent_fd(b, lab_extent_of(b, room)),
		      (off_t)(room % lab_extent_rooms(b)) * LAB_ROOM_SIZE);
	cr_assert_neq(window, MAP_FAILED);
	cr_assert_str_eq(window, "minotaur");
	munmap(window, LAB_ROOM_SIZE);
	cr_assert_eq(lab_room_owner(b, room), lab_owner(a->guest, 0));
	/* Detach frees (and scrubs) what a process still owns. */
	lab_detach(a);
	cr_assert_eq(lab_room_owner(b, room), 0);
	cr_assert_eq(pb[0], 0);
	lab_detach(b);
}

Test(shm, private_labyrinth)
{
	struct lab_geometry geo = { LAB_DEFAULT_ROOMS, 1, 0 };
	struct labyrinth *m;
	struct lab_census c;
	void *page;

	cr_assert_eq(lab_create_private(&geo, &m), 0);
	cr_assert_eq(m->guest, 0);
	cr_assert_geq(lab_fd(m), 0);
	page = lab_alloc_page_exclusive(m);
	cr_assert_not_null(page);
	lab_census(m, &c);
	cr_assert_eq(c.rooms, LAB_DEFAULT_ROOMS);
	cr_assert_eq(c.free, LAB_DEFAULT_ROOMS - 1);
	cr_assert_eq(c.guest_rooms[0], 1);
	lab_free_page_exclusive(m, page);
	lab_census(m, &c);
	cr_assert_eq(c.free, LAB_DEFAULT_ROOMS);
	lab_detach(m);
}
