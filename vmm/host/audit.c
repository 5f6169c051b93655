// SPDX-License-Identifier: MIT
/*
 * audit.c - the labyrinth's promises, checked from outside while guests
 * run (`labyrinth check`):
 *   - every free room is zero;
 *   - every page the kernel has mapped in an attached monitor's room window
 *     (read from /proc/PID/pagemap) is a room owned by that monitor's guest,
 *     so no room is reachable from two guests and no free room is reachable;
 *   - every claimed room, and every held district, names a guest whose
 *     lease slot is taken (nothing leaked).
 * Guests keep running meanwhile, so a room may change hands between two
 * reads: a finding is reported only if it is seen again on a second look
 * (a correct labyrinth makes a room reachable only after claiming it, and
 * unreachable before freeing it, so a real violation stays put).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_extent.h"
#include "handle.h"
#include "host.h"
#include "labyrinth_audit.h"
#include "slot.h"

#define LOOKS 3			/* reads of a suspect before it is reported */

static void report(struct lab_audit *a, enum lab_violation_kind kind, uint32_t room,
		   uint32_t guest, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct lab_audit *a, enum lab_violation_kind kind, uint32_t room,
		   uint32_t guest, const char *fmt, ...)
{
	struct lab_violation v = {.kind = kind, .room = room, .guest = guest};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v.detail, sizeof(v.detail), fmt, ap);
	va_end(ap);
	a->violations++;
	if (a->report)
		a->report(a->ctx, &v);
}

/* Free and claimable: it must be zero (a dirty room may not be, yet). */
static bool room_free(const struct labyrinth *lab, uint32_t room)
{
	return lab_room_free(lab, room);
}

/* Offset of the first non-zero byte of @room, or -1. */
static long dirt(const struct labyrinth *lab, uint32_t room)
{
	const uint64_t *p = (const uint64_t *)(lab->pool + (size_t)room * LAB_ROOM_SIZE);

	for (size_t i = 0; i < LAB_ROOM_SIZE / sizeof(*p); i++)
		if (__atomic_load_n(&p[i], __ATOMIC_RELAXED))
			return (long)(i * sizeof(*p));
	return -1;
}

/* Free and claimable, so zero: looked at again before it is reported. */
static void audit_free_room(struct labyrinth *lab, uint32_t r, struct lab_audit *a)
{
	long at = -1;

	a->free_rooms++;
	for (int look = 0; look < LOOKS; look++) {
		at = room_free(lab, r) ? dirt(lab, r) : -1;
		if (at < 0 || !room_free(lab, r)) {
			at = -1;
			break;
		}
	}
	if (at >= 0)
		report(a, LAB_DIRTY_FREE_ROOM, r, LAB_NONE,
		       "room %u is free but not zero (byte %ld)", r, at);
}

/*
 * The free rooms of extent @k, read under its fill lock (shm.c): a read
 * faults the page into the pool's copy, which must stay empty once the
 * extent is lent.  Those of an extent lent, or being lent, are its
 * borrower's memory, not read.
 */
static void audit_extent_free_rooms(struct labyrinth *lab, uint32_t k, struct lab_audit *a)
{
	uint32_t first = k * lab_extent_rooms(lab);
	uint32_t end = lab_rooms(lab) - first < lab_extent_rooms(lab)
			       ? lab_rooms(lab) : first + lab_extent_rooms(lab);
	bool ours = fill_begin(lab_host(lab), k);

	/* A reader's pool is only mapped: its faults in one call, not one
	 * a room (ten seconds for 2 GiB where faults are dear). */
	if (ours)
		backing_populate(lab->pool + (size_t)first * LAB_ROOM_SIZE,
				 (size_t)(end - first) * LAB_ROOM_SIZE);
	for (uint32_t r = first; r < end; r++) {
		if (!room_free(lab, r))
			continue;
		if (!ours)
			a->lent_free_rooms++;
		else
			audit_free_room(lab, r, a);
	}
	if (ours)
		fill_leave(lab_host(lab), k);
}

static void audit_free_rooms(struct labyrinth *lab, struct lab_audit *a)
{
	for (uint32_t k = 0; k < lab_extents(lab); k++)
		audit_extent_free_rooms(lab, k, a);
}

static bool slot_taken(const struct labyrinth *lab, uint32_t g)
{
	return lab_slot_word(lab, g) != 0;
}

/* Leaked now: claimed by nobody (lab_room_orphaned), or by a guest
 * without a lease. */
static bool room_leaked(const struct labyrinth *lab, uint32_t r, uint32_t *o)
{
	uint32_t g;

	*o = lab_room_owner(lab, r);
	if (!*o)
		return lab_room_orphaned(lab, r);
	g = lab_owner_guest(*o);
	return g >= LAB_MAX_GUESTS || !slot_taken(lab, g);
}

/* A room or district naming a guest without a lease, or a room claimed
 * by nobody: it leaked. */
static void audit_owners(struct labyrinth *lab, struct lab_audit *a)
{
	for (uint32_t r = 0; r < lab_rooms(lab); r++) {
		uint32_t o = 0;
		int look = 0;

		while (look < LOOKS && room_leaked(lab, r, &o))
			look++;
		if (look < LOOKS)
			continue;
		if (o)
			report(a, LAB_LEAKED_ROOM, r, lab_owner_guest(o),
			       "room %u is claimed by owner 0x%x, whose guest holds no lease", r, o);
		else
			report(a, LAB_LEAKED_ROOM, r, LAB_NONE,
			       "room %u is claimed by nobody (its map bit set, owner word 0): "
			       "no reaper will ever free it", r);
	}
	for (uint32_t d = 0; d < lab_districts(lab); d++) {
		uint32_t g = lab_district_holder(lab, d);

		if (g != LAB_NONE && !slot_taken(lab, g) && lab_district_holder(lab, d) == g)
			report(a, LAB_LEAKED_DISTRICT, d * LAB_DISTRICT_ROOMS, g,
			       "district %u is held by guest %u, which holds no lease", d, g);
	}
}

/* Is window page @room of process @fd's pagemap mapped? -1 on error. */
static int page_mapped(int fd, uint64_t va, uint32_t room)
{
	uint64_t bit;

	if (lab_pagemap_present(fd, va + ((uint64_t)room << LAB_ROOM_SHIFT), 1, &bit))
		return -1;
	return (int)(bit & 1);
}

static bool owned_by(const struct labyrinth *lab, uint32_t room, uint32_t g)
{
	uint32_t o = lab_room_owner(lab, room);

	return o && lab_owner_guest(o) == g;	/* rooms in the pool are never walls */
}

static void audit_window(struct labyrinth *lab, struct lab_audit *a, uint32_t g, int pid,
			 uint64_t va, uint64_t len)
{
	uint32_t rooms = (uint32_t)(len >> LAB_ROOM_SHIFT);
	uint64_t present[512 / 64];
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		a->unchecked_windows++;
		return;
	}
	a->windows++;
	for (uint32_t first = 0; first < rooms && first < lab_rooms(lab); first += 512) {
		uint32_t n = rooms - first < 512 ? rooms - first : 512;

		if (lab_pagemap_present(fd, va + ((uint64_t)first << LAB_ROOM_SHIFT), n, present))
			break;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t r = first + i;
			int look = 0;

			if (!(present[i / 64] >> (i % 64) & 1))
				continue;
			a->reachable_rooms++;
			while (look < LOOKS && !owned_by(lab, r, g) && page_mapped(fd, va, r) == 1)
				look++;
			if (look == LOOKS)
				report(a, LAB_FOREIGN_REACHABLE, r, g,
				       "room %u is reachable in guest %u's window (pid %d) but %s",
				       r, g, pid, lab_room_owner(lab, r) ? "owned by another guest"
									  : "free");
		}
	}
	close(fd);
}

static void audit_windows(struct labyrinth *lab, struct lab_audit *a)
{
	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++) {
		uint64_t va, len;
		int pid;

		lab_slot_window(lab, g, &va, &len);
		if (!slot_taken(lab, g) || !len)
			continue;
		pid = lab_lease_holder(lab, g);
		if (pid <= 0) {
			a->unchecked_windows++;
			continue;
		}
		audit_window(lab, a, g, pid, va, len);
	}
}

int lab_audit(struct labyrinth *lab, struct lab_audit *a)
{
	a->violations = a->free_rooms = a->reachable_rooms = 0;
	a->windows = a->unchecked_windows = a->lent_free_rooms = 0;
	audit_windows(lab, a);
	audit_extents(lab, a, report);
	audit_owners(lab, a);
	audit_free_rooms(lab, a);
	return a->violations ? 1 : 0;
}

