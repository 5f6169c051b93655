// SPDX-License-Identifier: MIT
/*
 * pressure.c - watermarks and pressure episodes (labyrinth.h).
 *
 * The state is one word, moved on only by CAS from what the mover read, so
 * of several pollers exactly one starts (or ends) an episode: even = calm,
 * odd = under pressure, +1 per change.  Nothing here is on the claim path:
 * monitors poll it, and the free count it reads is the claimers' published
 * estimate (off by what cursors have not published yet).
 */
#include "handle.h"

void lab_watermarks_of(uint32_t rooms, uint32_t reserve, struct lab_watermarks *w)
{
	w->min = reserve;
	w->low = reserve + rooms / 32;
	w->high = reserve + rooms / 16;
}

void lab_watermarks(const struct labyrinth *lab, struct lab_watermarks *w)
{
	lab_watermarks_of(lab->hall->rooms, lab->hall->reserve, w);
}

int64_t lab_free_watched(const struct labyrinth *lab)
{
	return atomic_load_explicit(&lab->hall->free, memory_order_relaxed);
}

bool lab_pressure_poll(struct labyrinth *lab, uint64_t *seen)
{
	struct lab_hall *h = lab->hall;
	struct lab_watermarks w;
	int64_t free = lab_free_watched(lab);
	uint64_t state = atomic_load(&h->pressure);
	bool fresh;

	lab_watermarks(lab, &w);
	if (!(state & 1) && free < w.low && atomic_compare_exchange_strong(&h->pressure, &state, state + 1))
		state++;
	else if ((state & 1) && free > w.high && atomic_compare_exchange_strong(&h->pressure, &state, state + 1))
		state++;
	state = atomic_load(&h->pressure);
	/* A new episode: odd, and not the one we last turned into interrupts. */
	fresh = (state & 1) && state != *seen;
	if (fresh)
		*seen = state;
	return fresh;
}

bool lab_pressure_now(const struct labyrinth *lab)
{
	return atomic_load_explicit(&lab->hall->pressure, memory_order_relaxed) & 1;
}

uint64_t lab_pressure_events(const struct labyrinth *lab, bool *now)
{
	uint64_t state = atomic_load(&lab->hall->pressure);

	*now = state & 1;
	return (state + 1) / 2;
}
