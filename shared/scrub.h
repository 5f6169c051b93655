/* SPDX-License-Identifier: MIT */
/*
 * scrub.h - dirty rooms and their zeroing (scrub.c), above the districts
 * and the zeroing.  Prefix lab_scrub_.
 */
#ifndef LAB_SCRUB_H
#define LAB_SCRUB_H

#include "handle.h"

void lab_scrub_dirty_hint_set(struct lab_hall *h, uint32_t d);
/* Make released @rooms dirty for every scrubber: owner words, maps, hints. */
void lab_scrub_dirty_make(struct lab_hall *h, const uint32_t *rooms, unsigned int n);
/* Mark @rooms (owner words LAB_DIRTY already) dirty in the maps, hinted. */
void lab_scrub_dirty_mark(struct lab_hall *h, const uint32_t *rooms, unsigned int n);
/* Zero up to @n dirty rooms of the held district and keep them. */
unsigned int lab_scrub_held(struct lab_cur *cur, unsigned int n, uint32_t *rooms);
/* The claimer's last resort: zero dirty rooms anywhere and keep them. */
unsigned int lab_scrub_claim(struct lab_cur *cur, uint32_t corridor,
			     unsigned int flags, unsigned int n, uint32_t *rooms);

#endif /* LAB_SCRUB_H */
