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

#include "labyrinth_host.h"

/* Owner of a district or of a span of them, beside a guest id. */
#define SURVEY_FREE	UINT32_MAX		/* no room claimed */
#define SURVEY_MIXED	(UINT32_MAX - 1)	/* rooms of two guests or more */

struct survey_lease {
	struct lab_lease_info info;
	uint64_t claimed, released, refused;	/* lab_tally_read() */
	uint64_t limited;			/* claims cut or refused by its max */
	struct lab_limits limits;		/* lab_limits_get() */
};

struct survey_span {
	uint32_t rooms;		/* rooms in it (the last district may be short) */
	uint32_t claimed;
	uint32_t owner;		/* guest, SURVEY_FREE or SURVEY_MIXED */
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
	uint32_t districts;
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
/* The owner of two spans taken together. */
uint32_t survey_owner_merge(uint32_t a, uint32_t b);
/* The lease entry of @guest, or NULL. */
const struct survey_lease *survey_lease(const struct survey *s,
					uint32_t guest);

#endif /* VMM_COMMAND_SURVEY_H */
