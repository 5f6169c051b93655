// SPDX-License-Identifier: MIT
/*
 * survey.c - one look at a labyrinth for the verbs that show it (map, top,
 * metrics): census, leases and tallies, districts and their holders.
 */
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "survey.h"

/* Seconds, from the one clock of the host programs. */
static double now(void)
{
	return clock_ns() / 1e9;
}

uint32_t survey_owner_merge(uint32_t a, uint32_t b)
{
	if (a == SURVEY_FREE)
		return b;
	if (b == SURVEY_FREE || a == b)
		return a;
	return SURVEY_MIXED;
}

uint32_t survey_corridor_start(const struct survey *s, uint32_t c)
{
	return s->corridor_start[c];
}

uint32_t survey_span_whose(const struct survey_span *sp)
{
	return survey_owner_merge(sp->owner, sp->lent_to);
}

static struct survey_span district_look(struct labyrinth *lab, const struct survey *s,
					uint32_t d)
{
	uint32_t first = d * LAB_DISTRICT_ROOMS, end = lab_rooms(lab);
	const struct survey_extent *lent = survey_lent(s, d);
	struct survey_span sp = { 0, 0, SURVEY_FREE, lent ? lent->guest : SURVEY_FREE };

	if (end > first + LAB_DISTRICT_ROOMS)
		end = first + LAB_DISTRICT_ROOMS;
	sp.rooms = end - first;
	for (uint32_t r = first; r < end; r++) {
		uint32_t o = lab_room_owner(lab, r);

		if (!o)
			continue;
		sp.claimed++;
		sp.owner = survey_owner_merge(sp.owner, lab_owner_guest(o));
	}
	return sp;
}

static int districts_look(struct labyrinth *lab, struct survey *s)
{
	s->district = calloc(s->districts, sizeof(*s->district));
	if (!s->district)
		return LAB_ENOMEM;
	for (uint32_t d = 0; d < s->districts; d++)
		s->district[d] = district_look(lab, s, d);
	return 0;
}

/* The extent table, and from it who every lease's QEMU guest is. */
static void extents_look(struct labyrinth *lab, struct survey *s,
			 struct borrower b[LAB_MAX_GUESTS])
{
	struct lab_extent_info e;

	borrowers_init(lab, b);
	s->extents = lab_extents(lab);
	s->extent_rooms = lab_extent_rooms(lab);
	for (uint32_t k = 0; k < s->extents && k < LAB_EXTENTS_MAX; k++) {
		lab_extent_get(lab, k, &e);
		borrowers_add(b, &e);
		s->extent[k] = (struct survey_extent){ e.rooms, e.state, e.lendable,
						       e.mapped, e.guest, e.claimed };
	}
}

int survey_take(struct labyrinth *lab, const char *name, bool districts,
		struct survey *s)
{
	static struct borrower b[LAB_MAX_GUESTS];
	struct lab_lease_info l[LAB_MAX_GUESTS];

	*s = (struct survey){ .name = name };
	s->when = now();
	lab_census(lab, &s->census);
	s->pinned = lab_pinned(lab);
	s->leases = lab_leases(lab, l, LAB_MAX_GUESTS);
	extents_look(lab, s, b);
	for (unsigned int i = 0; i < s->leases; i++) {
		struct survey_lease *sl = &s->lease[i];

		sl->info = l[i];
		lab_tally_read(lab, l[i].guest, &sl->claimed, &sl->released,
			       &sl->refused);
		sl->limited = lab_tally_limited(lab, l[i].guest);
		lab_limits_get(lab, l[i].guest, &sl->limits);
		sl->borrower = b[l[i].guest];
	}
	lab_watermarks(lab, &s->watermarks);
	s->watched = lab_free_watched(lab);
	s->pressure_events = lab_pressure_events(lab, &s->under_pressure);
	s->districts = lab_districts(lab);
	for (uint32_t c = 0; c <= s->census.corridors && c <= LAB_MAX_CORRIDORS; c++)
		s->corridor_start[c] = lab_corridor_start(lab, c);
	return districts ? districts_look(lab, s) : 0;
}

void survey_free(struct survey *s)
{
	free(s->district);
	s->district = NULL;
}

struct survey_span survey_span(const struct survey *s, uint32_t first,
			       uint32_t count)
{
	struct survey_span sp = { 0, 0, SURVEY_FREE, SURVEY_FREE };

	for (uint32_t d = first; d < first + count && d < s->districts; d++) {
		sp.rooms += s->district[d].rooms;
		sp.claimed += s->district[d].claimed;
		sp.owner = survey_owner_merge(sp.owner, s->district[d].owner);
		sp.lent_to = survey_owner_merge(sp.lent_to, s->district[d].lent_to);
	}
	return sp;
}

const struct survey_extent *survey_lent(const struct survey *s, uint32_t d)
{
	uint32_t k = s->extent_rooms ? d * LAB_DISTRICT_ROOMS / s->extent_rooms : 0;

	if (k >= s->extents || k >= LAB_EXTENTS_MAX || s->extent[k].state == LAB_EXTENT_POOL)
		return NULL;
	return &s->extent[k];
}

const struct survey_lease *survey_lease(const struct survey *s,
					uint32_t guest)
{
	for (unsigned int i = 0; i < s->leases; i++)
		if (s->lease[i].info.guest == guest)
			return &s->lease[i];
	return NULL;
}
