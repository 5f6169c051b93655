/* SPDX-License-Identifier: MIT */
/*
 * district.h - holding districts and their free hints (district.c): the
 * layer above the hall.  Prefix lab_district_.
 */
#ifndef LAB_DISTRICT_H
#define LAB_DISTRICT_H

#include "handle.h"

/* Hold a district with a free room (the preferred corridor first). */
bool lab_district_hold(struct lab_cur *cur, uint32_t corridor,
		       unsigned int flags);
void lab_district_leave(struct lab_cur *cur);
/* Leave a district we emptied, and clear its free hint. */
void lab_district_leave_full(struct lab_cur *cur);
void lab_district_hint_set(struct lab_hall *h, uint32_t d);
/* Free rooms of district @d, from its map. */
uint32_t lab_district_free(struct lab_hall *h, uint32_t d);
uint32_t lab_district_home(const struct lab_hall *h, const struct lab_cur *cur,
			   uint32_t corridor);
/* Make a zeroed room claimable again: clear its map bit, then set the
 * free hint (the release half of the Dekker pair, district.c).  Called
 * by whoever zeroed the room. */
void lab_district_room_open(struct lab_hall *h, uint32_t room);
/* lab_district_room_open() for all 512 rooms of district @d, which are
 * all zero and the caller's (a district claimed whole): 8 stores. */
void lab_district_open_all(struct lab_hall *h, uint32_t d);
/* Holder of district @d @from -> @to, if every room is free (or dirty,
 * with @dirty_ok: its taker zeroes them); else nothing changed. */
bool lab_district_take(struct lab_hall *h, uint32_t d, uint16_t from, uint16_t to,
		       bool dirty_ok);
/* A district to claim whole, taken with holder @to (district.c says
 * which); LAB_NONE when there is none. */
uint32_t lab_district_take_whole(struct lab_cur *cur, uint32_t corridor,
				 unsigned int flags, uint16_t to);

#endif /* LAB_DISTRICT_H */
