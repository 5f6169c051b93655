/* SPDX-License-Identifier: MIT */
/*
 * labyrinth_audit.h - checking the labyrinth's promises from outside, while
 * guests run (vmm/host/audit.c, `labyrinth check`).
 */
#ifndef LABYRINTH_AUDIT_H
#define LABYRINTH_AUDIT_H

#include "labyrinth_host.h"

enum lab_violation_kind {
	LAB_DIRTY_FREE_ROOM,	/* a free room is not zero */
	LAB_FOREIGN_REACHABLE,	/* a window reaches a room its guest does not own */
	LAB_LEAKED_ROOM,	/* a claimed room names a guest without a lease */
	LAB_LEAKED_DISTRICT,	/* a held district names a guest without a lease */
	LAB_EXTENT_BREACH,	/* a lent extent reachable by another, or a pool one by QEMU */
};

struct lab_violation {
	enum lab_violation_kind kind;
	uint32_t room;		/* the room (a district's first room) */
	uint32_t guest;		/* the guest concerned, LAB_NONE if none */
	char detail[160];	/* one line, for people */
};

struct lab_audit {
	void (*report)(void *ctx, const struct lab_violation *v);	/* may be NULL */
	void *ctx;
	/* out */
	uint32_t violations;
	uint32_t free_rooms;		/* free rooms read (all must be zero) */
	uint32_t lent_free_rooms;	/* free rooms of lent extents (their guest's to write) */
	uint32_t reachable_rooms;	/* window pages found mapped */
	uint32_t windows;		/* monitors' windows read */
	uint32_t unchecked_windows;	/* published, but their process is not visible */
};

/* Runs every check on @lab (a handle from lab_open: no lease needed);
 * returns 0 when all hold, 1 when some did not (each reported once). */
int lab_audit(struct labyrinth *lab, struct lab_audit *a);

/* Which of @pages pages from @va have a page-table entry in the process
 * whose /proc/PID/pagemap is open at @fd: bit i of bits[i / 64]. 0, or -1
 * when the file cannot be read there. */
int lab_pagemap_present(int fd, uint64_t va, uint32_t pages, uint64_t *bits);

#endif
