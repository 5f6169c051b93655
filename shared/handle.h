/* SPDX-License-Identifier: MIT */
/*
 * handle.h - what every layer above the hall works on: the handle on one
 * labyrinth (struct labyrinth) and a caller's cursor (struct lab_cur, the
 * fields of labyrinth.h's opaque struct lab_cursor).  Private to the core,
 * the host library (vmm/host/) and the tests of the core; users hold
 * pointers to the handle and cursors by value, and touch neither's fields.
 */
#ifndef LAB_HANDLE_H
#define LAB_HANDLE_H

#include "hall.h"

/* A cursor's fields (labyrinth.h: struct lab_cursor is its storage). */
struct lab_cur {
	struct labyrinth *lab;
	uint32_t owner;		/* encoded (guest, vcpu) */
	uint32_t district;	/* held district or LAB_NONE */
	uint32_t word;		/* next word to look at in the district */
	uint32_t home;		/* searches start here: 1/65536ths of a corridor */
	uint32_t rover;		/* last district held in the home's hint line */
	int32_t delta;		/* its budget: rooms out of the free count it may
				   claim without it (released, or taken ahead) */
	uint32_t starving_seen;	/* last hall->starving generation seen */
	/* Claims and releases inside an extent lent to its guest: outside
	 * the free count, as the whole extent is (labyrinth_extent.h). */
	bool borrowed;
	/* The rooms it released last, newest at reuse_top - 1: its next
	 * claims take them first, zeroing them (shared/reuse.c). */
	uint32_t reuse_top, reuse_n;
	uint32_t reuse[LAB_REUSE];
};

_Static_assert(sizeof(struct lab_cur) <= sizeof(struct lab_cursor),
	       "LAB_CURSOR_WORDS holds a cursor");
_Static_assert(_Alignof(struct lab_cur) <= _Alignof(struct lab_cursor),
	       "a cursor's storage is aligned for it");

/* The fields of a caller's cursor.  Nothing outside the core reads the
 * storage's words, so the core's accesses are the only ones. */
static inline struct lab_cur *lab_cur(struct lab_cursor *cur)
{
	return (struct lab_cur *)(void *)cur;
}

static inline const struct lab_cur *lab_cur_const(const struct lab_cursor *cur)
{
	return (const struct lab_cur *)(const void *)cur;
}

/*
 * A handle on one labyrinth in this address space.  The core uses the
 * first fields; host-only state hangs off @host.
 */
struct labyrinth {
	struct lab_hall *hall;
	uint8_t *pool;			/* room 0 */
	void (*panic)(const char *msg);	/* fail-hard hook, may be NULL */
	uint32_t guest;			/* our lease index, LAB_NONE if none */
	atomic_flag page_busy;		/* guards page_cursor */
	/* Zero inside lab_release (the guest waits) instead of leaving the
	 * rooms dirty for a scrubber (lab_scrub_at_release). */
	bool scrub_at_release;
	struct lab_cur page_cursor;	/* of the page entry points (the seed's pair) */
	void *host;
};

#endif /* LAB_HANDLE_H */
