// SPDX-License-Identifier: MIT
/*
 * audit_extent.c - the promises of lent extents (labyrinth_extent.h),
 * checked from outside by `labyrinth check`:
 *   - every district of a lent extent is held for the lease it is lent to,
 *     and every claimed room in it is that lease's (no monitor, no other
 *     peer reaches a room QEMU maps);
 *   - a lent extent's pages in the pool file are a hole: its borrower
 *     has memory of its own (extent_lend.c), so pages there mean someone
 *     reached the pool's copy of it meanwhile (a mapping from before the
 *     lend, written through).  The kernel's page cache says so, whatever
 *     the mapper claims or locks;
 *   - none of a pool extent's districts is still held as lent (the
 *     monitors could never claim there again while that lease lives);
 * and tells audit.c which free rooms it cannot expect zero: those of a
 * lent extent, which its guest may write (its memfd's, shown where the
 * lender maps it; the extent comes back with fresh pages, and then its
 * free rooms are checked again).
 * Like audit.c, a finding is reported only if it is seen on every look.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "audit_extent.h"
#include "host.h"

#define LOOKS 3
/* A lend holds the districts just before its record says LENT, and a
 * return's record says POOL a little before its lease lets the districts
 * go: a pool district held as lent is a finding only if it stays so over
 * looks this far apart. */
#define LOOK_PAUSE_NS	20000000L

static bool districts_held(const struct labyrinth *lab, const struct lab_extent_info *e)
{
	for (uint32_t d = e->first_room / LAB_DISTRICT_ROOMS;
	     d < (e->first_room + e->rooms) / LAB_DISTRICT_ROOMS; d++)
		if (lab_district_holder(lab, d) != e->guest)
			return false;
	return true;
}

/* The first room of the extent owned by another lease, or LAB_NONE. */
static uint32_t foreign_room(const struct labyrinth *lab, const struct lab_extent_info *e)
{
	for (uint32_t r = e->first_room; r < e->first_room + e->rooms; r++) {
		uint32_t o = lab_room_owner(lab, r);

		if (o && lab_owner_guest(o) != e->guest)
			return r;
	}
	return LAB_NONE;
}

/* The first district of a pool extent held as lent (its guest into
 * *@guest), or LAB_NONE. */
static uint32_t pool_district_lent(const struct labyrinth *lab,
				   const struct lab_extent_info *e, uint32_t *guest)
{
	for (uint32_t d = e->first_room / LAB_DISTRICT_ROOMS;
	     d < (e->first_room + e->rooms) / LAB_DISTRICT_ROOMS; d++) {
		*guest = lab_district_lent_to(lab, d);
		if (*guest != LAB_NONE)
			return d;
	}
	return LAB_NONE;
}

/* Does the pool file hold any page of extent @k? */
static bool pool_pages_held(const struct labyrinth *lab, uint32_t k)
{
	return lseek(lab_extent_fd(lab, k), 0, SEEK_DATA) >= 0 || errno != ENXIO;
}

static void look_pause(void)
{
	struct timespec ts = { 0, LOOK_PAUSE_NS };

	nanosleep(&ts, NULL);
}

static void audit_one(const struct labyrinth *lab, uint32_t k, struct lab_audit *a,
		      audit_report_fn report)
{
	struct lab_extent_info e;
	int held = 0, foreign = 0, paged = 0, lent = 0;
	uint32_t room = LAB_NONE, district = LAB_NONE, to = LAB_NONE;

	for (int look = 0; look < LOOKS; look++) {
		lab_extent_get(lab, k, &e);
		if (e.state == LAB_EXTENT_POOL) {
			district = pool_district_lent(lab, &e, &to);
			lent += district != LAB_NONE;
			if (district != LAB_NONE && look + 1 < LOOKS)
				look_pause();
			continue;
		}
		held += !districts_held(lab, &e);
		/* Returning, the pool file is being filled again (lend_end):
		 * pages there are the refill, not a reach. */
		paged += e.state == LAB_EXTENT_LENT && pool_pages_held(lab, k);
		room = foreign_room(lab, &e);
		foreign += room != LAB_NONE;
	}
	if (paged == LOOKS)
		report(a, LAB_EXTENT_BREACH, e.first_room, e.guest,
		       "extent %u is lent to guest %u but its pool file holds pages: "
		       "something reached the pool's copy of it", k, e.guest);
	if (lent == LOOKS)
		report(a, LAB_EXTENT_BREACH, district * LAB_DISTRICT_ROOMS, to,
		       "district %u of extent %u is the monitors' but held as lent to guest %u",
		       district, k, to);
	if (held == LOOKS)
		report(a, LAB_EXTENT_BREACH, e.first_room, e.guest,
		       "extent %u is lent to guest %u but not all its districts are held for it",
		       k, e.guest);
	if (foreign == LOOKS)
		report(a, LAB_EXTENT_BREACH, room, e.guest,
		       "room %u of extent %u, lent to guest %u, is owned by another guest", room,
		       k, e.guest);
}

void audit_extents(const struct labyrinth *lab, struct lab_audit *a, audit_report_fn report)
{
	for (uint32_t k = 0; k < lab_extents(lab); k++)
		audit_one(lab, k, a, report);
}
