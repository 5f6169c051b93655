/* SPDX-License-Identifier: MIT */
/*
 * survey.h - one look at a labyrinth, the figures `labyrinth map`, `top`
 * and `metrics` all draw from: the census, the leases with their tallies
 * and, when asked, who holds each district.  Read through labyrinth.h's
 * public API only, without a lease, while guests run: the parts are taken
 * one after the other, so a busy labyrinth can move between them (each
 * part is exact for its moment, as `info` is).
 */
#ifndef VMM_COMMAND_SURVEY_H
#define VMM_COMMAND_SURVEY_H

#include <stdbool.h>
#include <stdint.h>

#include "borrower.h"
#include "labyrinth_host.h"

/* Owner of a district or of a span of them, beside a guest id. */
#define SURVEY_FREE	UINT32_MAX		/* no room claimed */
#define SURVEY_MIXED	(UINT32_MAX - 1)	/* rooms of two guests or more */

struct survey_lease {
	struct lab_lease_info info;
	uint64_t claimed, released, refused;	/* lab_tally_read() */
	uint64_t limited;			/* claims cut or refused by its max */
	struct lab_limits limits;		/* lab_limits_get() */
	struct borrower borrower;		/* its QEMU guest, if it is one */
};

/* An extent as the pictures and the metrics show it. */
struct survey_extent {
	uint32_t rooms;
	enum lab_extent_state state;
	bool lendable, mapped;
	uint32_t guest, claimed;	/* when lent or returning: lab_extent_info */
};

struct survey_span {
	uint32_t rooms;		/* rooms in it (the last district may be short) */
	uint32_t claimed;
	uint32_t owner;		/* guest, SURVEY_FREE or SURVEY_MIXED */
	/* Whose lent extent it lies in (only that guest claims there):
	 * guest, SURVEY_FREE (the monitors') or SURVEY_MIXED. */
	uint32_t lent_to;
};

struct survey {
	const char *name;
	struct lab_census census;
	bool pinned;
	double when;		/* CLOCK_MONOTONIC, seconds */
	struct lab_watermarks watermarks;
	int64_t watched;	/* the free count the watermarks watch */
	uint64_t pressure_events;
	bool under_pressure;
	unsigned int leases;
	struct survey_lease lease[LAB_MAX_GUESTS];
	uint32_t extents, extent_rooms;
	struct survey_extent extent[LAB_EXTENTS_MAX];
	uint32_t districts;
	uint32_t corridor_start[LAB_MAX_CORRIDORS + 1];
	struct survey_span *district;	/* [districts], NULL unless asked */
};

/* Look at @lab; with @districts, also who holds each district
 * (O(rooms)).  0, or LAB_ENOMEM. */
int survey_take(struct labyrinth *lab, const char *name, bool districts,
		struct survey *s);
void survey_free(struct survey *s);

/* First district of corridor @c; survey_corridor_start(s, corridors) is
 * the end. */
uint32_t survey_corridor_start(const struct survey *s, uint32_t c);
/* @count districts from @first taken together. */
struct survey_span survey_span(const struct survey *s, uint32_t first,
			       uint32_t count);
/* Whose a span is to a picture: its rooms' owner, or the guest it is
 * lent to where nothing is claimed (free rooms there are no one else's). */
uint32_t survey_span_whose(const struct survey_span *sp);
/* The owner of two spans taken together. */
uint32_t survey_owner_merge(uint32_t a, uint32_t b);
/* The extent lent (or returning) to whoever district @d is lent to, or
 * NULL if it is the monitors'. */
const struct survey_extent *survey_lent(const struct survey *s, uint32_t d);
/* The lease entry of @guest, or NULL. */
const struct survey_lease *survey_lease(const struct survey *s,
					uint32_t guest);

#endif /* VMM_COMMAND_SURVEY_H */
