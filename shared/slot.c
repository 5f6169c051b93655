// SPDX-License-Identifier: MIT
/*
 * slot.c - what a lease slot of the hall holds, for the host side, which
 * decides who may change slot g (vmm/host/lease.c: the holder of g's lock)
 * but never touches the hall's layout itself.
 */
#include "count.h"
#include "lab_limits.h"
#include "slot.h"

uint64_t lab_slot_word(const struct labyrinth *lab, uint32_t g)
{
	return g < LAB_MAX_GUESTS ? atomic_load(&lab->hall->lease[g].word) : 0;
}

/* The word last: a slot is never seen taken with a previous lease's state. */
void lab_slot_clear(struct labyrinth *lab, uint32_t g)
{
	struct lab_lease *l = &lab->hall->lease[g];

	lab_limits_clear(lab, g);
	atomic_store(&l->tally.claimed, 0);
	atomic_store(&l->tally.released, 0);
	atomic_store(&l->tally.refused, 0);
	atomic_store(&l->tally.limited, 0);
	atomic_store(&l->window_va, 0);
	atomic_store(&l->window_len, 0);
	atomic_store(&l->published, 0);
	atomic_store(&l->lent, 0);
	atomic_store(&l->word, 0);
	/* Again: a lab_limits_set() that saw the word before it went may have
	 * written since the first clear; if it wrote after this one, it sees
	 * the word gone and clears them itself (limits.c). */
	lab_limits_clear(lab, g);
}

void lab_slot_fill(struct labyrinth *lab, uint32_t g, uint64_t word)
{
	lab_slot_clear(lab, g);
	atomic_store(&lab->hall->lease[g].word, word);
}

void lab_slot_window(const struct labyrinth *lab, uint32_t g, uint64_t *va, uint64_t *len)
{
	struct lab_lease *l = &lab->hall->lease[g];

	*va = atomic_load(&l->window_va);
	*len = atomic_load(&l->window_len);
}

void lab_publish_window(struct labyrinth *lab, const void *va, uint64_t len)
{
	struct lab_lease *l;

	if (lab->guest >= LAB_MAX_GUESTS)
		return;
	l = &lab->hall->lease[lab->guest];
	atomic_store(&l->window_len, 0);	/* never a new base with an old length */
	atomic_store(&l->window_va, (uint64_t)(uintptr_t)va);
	atomic_store(&l->window_len, len);
}

void lab_recount_free(struct labyrinth *lab)
{
	lab_count_exact(lab);
}

uint32_t lab_districts(const struct labyrinth *lab)
{
	return lab->hall->districts;
}

uint32_t lab_corridor_start(const struct labyrinth *lab, uint32_t c)
{
	return hall_corridor_start(lab->hall, c);
}

uint32_t lab_district_holder(const struct labyrinth *lab, uint32_t d)
{
	return d < lab->hall->districts ? hall_holder_guest(lab->hall, d) : LAB_NONE;
}
