// SPDX-License-Identifier: MIT
/*
 * info_extents.c - what `labyrinth info` says of the extents
 * (labyrinth_extent.h): the extent size, each extent's state, and for
 * each QEMU peer the extents lent to its lease, QEMU's pid and libvirt
 * domain.  Rooms are counted once: a peer's rooms are its lease's rooms.
 */
#include <stdio.h>

#include "borrower.h"
#include "info_extents.h"

static const char *state_name(enum lab_extent_state s)
{
	return s == LAB_EXTENT_LENT ? "lent" : s == LAB_EXTENT_RETURNING ? "returning" : "pool";
}

static void extent_json(const struct lab_extent_info *e, bool first)
{
	printf("%s{\"extent\":%u,\"first_room\":%u,\"rooms\":%u,\"state\":\"%s\","
	       "\"lendable\":%s,\"mapped\":%s", first ? "" : ",", e->index, e->first_room,
	       e->rooms, state_name(e->state), e->lendable ? "true" : "false",
	       e->mapped ? "true" : "false");
	if (borrower_extent_lent(e))
		printf(",\"guest\":%u,\"peer\":%u,\"claimed\":%u", e->guest, e->peer, e->claimed);
	putchar('}');
}

void extents_json(const struct labyrinth *lab)
{
	struct lab_extent_info e;

	printf(",\"extent_rooms\":%u,\"extents\":[", lab_extent_rooms(lab));
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		lab_extent_get(lab, k, &e);
		extent_json(&e, k == 0);
	}
	printf("]");
}

void peers_json(const struct labyrinth *lab)
{
	struct lab_extent_info e;
	bool first = true;

	printf(",\"peers\":[");
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		lab_extent_get(lab, k, &e);
		if (e.state == LAB_EXTENT_POOL)
			continue;
		printf("%s{\"guest\":%u,\"peer\":%u,\"qemu_pid\":", first ? "" : ",", e.guest,
		       e.peer);
		if (e.pid > 0)
			printf("%d", e.pid);
		else
			printf("null");
		printf(",\"domain\":");
		borrower_domain_json(e.domain);
		printf(",\"extents\":[%u],\"rooms\":%u,\"state\":\"%s\"}", k, e.claimed,
		       state_name(e.state));
		first = false;
	}
	printf("]");
}

void extents_text(const struct labyrinth *lab)
{
	struct lab_extent_info e;
	uint32_t lent = 0;

	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		lab_extent_get(lab, k, &e);
		lent += e.state != LAB_EXTENT_POOL;
	}
	printf("  %u extents of %u rooms (%u MiB), %u lent to QEMU guests\n", lab_extents(lab),
	       lab_extent_rooms(lab), lab_extent_rooms(lab) / 256, lent);
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		lab_extent_get(lab, k, &e);
		if (e.state == LAB_EXTENT_POOL) {
			printf("  extent %u: rooms %u..%u, monitors'%s\n", k, e.first_room,
			       e.first_room + e.rooms - 1, e.lendable ? "" : " (short: never lent)");
			continue;
		}
		printf("  extent %u: rooms %u..%u, %s to guest %u (peer %u, QEMU pid %d%s%s), "
		       "%u rooms claimed%s\n", k, e.first_room, e.first_room + e.rooms - 1,
		       state_name(e.state), e.guest, e.peer, (int)e.pid,
		       e.domain[0] ? ", domain " : "", e.domain, e.claimed,
		       e.state == LAB_EXTENT_RETURNING && e.mapped ?
		       "; QEMU still maps it" : "");
	}
}
