// SPDX-License-Identifier: GPL-2.0
/*
 * An extent's calls, whatever carries them (the ivshmem mailbox or our
 * monitor's hypercall port): rooms travel as guest-physical addresses,
 * callers hold kernel ones. An answer is never trusted: a claim that
 * grants more than was asked, or a room outside the extent, breaks the
 * extent (no more calls) instead of handing out what is not ours.
 */
#include <linux/ktime.h>

#include "maze.h"

bool maze_extent_has(const struct maze_extent *ext, const void *room)
{
	unsigned long off = (unsigned long)room - (unsigned long)ext->base;

	return (unsigned long)room >= (unsigned long)ext->base && off < ext->size &&
	       !(off & (LAB_ROOM_SIZE - 1)) &&
	       off >= ext->mailbox_rooms * LAB_ROOM_SIZE;
}

unsigned long maze_room_index(const struct maze_extent *ext, const void *room)
{
	return ((unsigned long)room - (unsigned long)ext->base) / LAB_ROOM_SIZE;
}

static u64 gpa_of(const struct maze_extent *ext, const void *room)
{
	return ext->gpa + ((unsigned long)room - (unsigned long)ext->base);
}

static void *room_at(const struct maze_extent *ext, u64 gpa)
{
	void *room = ext->base + (gpa - ext->gpa);

	return gpa >= ext->gpa && maze_extent_has(ext, room) ? room : NULL;
}

long maze_extent_claim_with(struct maze_extent *ext, u32 flags, void **rooms, u32 n, u64 *gpas)
{
	struct lab_hc hc = { .call = LAB_HC_CLAIM, .flags = flags, .count = n };
	u64 t0 = ktime_get_mono_fast_ns();
	long rc = -1;
	u32 k;

	if (!WARN_ON_ONCE(n > ext->carrier->max_rooms))
		rc = ext->carrier->call(ext, &hc, gpas);
	maze_count(ext->maze, MAZE_CLAIMS, 1);
	maze_count(ext->maze, MAZE_CLAIM_NS, ktime_get_mono_fast_ns() - t0);
	if (rc > n) {
		maze_count(ext->maze, MAZE_BAD_ANSWERS, 1);
		WRITE_ONCE(ext->broken, true);
		return LAB_HC_EINVAL;	/* more than asked: an answer we cannot trust */
	}
	for (k = 0; rc > 0 && k < rc; k++) {
		rooms[k] = room_at(ext, gpas[k]);
		if (!rooms[k]) {
			maze_count(ext->maze, MAZE_BAD_ANSWERS, 1);
			WRITE_ONCE(ext->broken, true);
			return LAB_HC_EINVAL;
		}
	}
	if (rc > 0) {
		atomic_add(rc, &ext->held);
		maze_count(ext->maze, MAZE_CLAIMED, rc);
	}
	return rc;
}

long maze_extent_claim(struct maze_extent *ext, u32 flags, void **rooms, u32 n)
{
	u64 gpas[MAZE_MAGAZINE_ROOMS];

	if (WARN_ON_ONCE(n > ARRAY_SIZE(gpas)))
		return -1;
	return maze_extent_claim_with(ext, flags, rooms, n, gpas);
}

long maze_extent_release_with(struct maze_extent *ext, void *const *rooms, u32 n, u64 *gpas)
{
	struct lab_hc hc = { .call = LAB_HC_RELEASE, .count = n };
	long rc = -1;
	u32 k;

	if (!WARN_ON_ONCE(n > ext->carrier->max_rooms)) {
		for (k = 0; k < n; k++)
			gpas[k] = gpa_of(ext, rooms[k]);
		rc = ext->carrier->call(ext, &hc, gpas);
	}
	maze_count(ext->maze, MAZE_RELEASES, 1);
	if (rc >= 0) {
		maze_count(ext->maze, MAZE_RELEASED, n);
		maze_extent_put(ext, n);
	}
	return rc;
}

long maze_extent_release(struct maze_extent *ext, void *const *rooms, u32 n)
{
	u64 gpas[MAZE_MAGAZINE_ROOMS];

	if (WARN_ON_ONCE(n > ARRAY_SIZE(gpas)))
		return -1;
	return maze_extent_release_with(ext, rooms, n, gpas);
}

long maze_extent_info(struct maze_extent *ext, u32 flags, struct lab_hc_info *info)
{
	struct lab_hc hc = { .call = LAB_HC_INFO, .flags = flags };
	long rc = ext->carrier->call(ext, &hc, NULL);

	if (rc == LAB_HC_OK)
		*info = hc.u.info;
	return rc;
}

/* The district at @gpa, if all its rooms are the extent's (none of them
 * the mailbox's) and it starts a 2 MiB step of the extent. */
static void *district_at(const struct maze_extent *ext, u64 gpa)
{
	void *first = room_at(ext, gpa);

	if (!first || (gpa - ext->gpa) % LAB_HC_DISTRICT_SIZE ||
	    !room_at(ext, gpa + LAB_HC_DISTRICT_SIZE - LAB_ROOM_SIZE))
		return NULL;
	return first;
}

long maze_extent_claim_districts(struct maze_extent *ext, u32 flags, void **districts, u32 n)
{
	struct lab_hc hc = { .call = LAB_HC_CLAIM_DISTRICT, .flags = flags, .count = n };
	u64 t0 = ktime_get_mono_fast_ns(), gpas[LAB_HC_DISTRICT_BATCH_MAX];
	long rc = -1;
	u32 k;

	if (!WARN_ON_ONCE(!n || n > LAB_HC_DISTRICT_BATCH_MAX))
		rc = ext->carrier->call(ext, &hc, gpas);
	maze_count(ext->maze, MAZE_CLAIMS, 1);
	maze_count(ext->maze, MAZE_CLAIM_NS, ktime_get_mono_fast_ns() - t0);
	for (k = 0; rc > 0 && rc <= n && k < rc; k++)
		if (!(districts[k] = district_at(ext, gpas[k])))
			break;
	if (rc > n || (rc > 0 && k < rc)) {
		maze_count(ext->maze, MAZE_BAD_ANSWERS, 1);
		WRITE_ONCE(ext->broken, true);
		return LAB_HC_EINVAL;	/* an answer we cannot trust */
	}
	if (rc > 0) {
		atomic_add(rc * LAB_HC_DISTRICT_ROOMS, &ext->held);
		maze_count(ext->maze, MAZE_CLAIMED, rc * LAB_HC_DISTRICT_ROOMS);
	}
	return rc;
}

long maze_extent_release_districts(struct maze_extent *ext, void *const *districts, u32 n)
{
	struct lab_hc hc = { .call = LAB_HC_RELEASE_DISTRICT, .count = n };
	u64 gpas[LAB_HC_DISTRICT_BATCH_MAX];
	long rc = -1;
	u32 k;

	if (!WARN_ON_ONCE(!n || n > LAB_HC_DISTRICT_BATCH_MAX)) {
		for (k = 0; k < n; k++)
			gpas[k] = gpa_of(ext, districts[k]);
		rc = ext->carrier->call(ext, &hc, gpas);
	}
	maze_count(ext->maze, MAZE_RELEASES, 1);
	if (rc >= 0) {
		maze_count(ext->maze, MAZE_RELEASED, n * LAB_HC_DISTRICT_ROOMS);
		maze_extent_put(ext, n * LAB_HC_DISTRICT_ROOMS);
	}
	return rc;
}
