// SPDX-License-Identifier: MIT
/*
 * lease.c - leases: which processes are attached, and reaping the dead.
 *
 * Lease slot g is alive while somebody holds g's lock (lock.c); the kernel
 * is the only judge of that.  A lease also holds the gate shared (lock.c),
 * so that the recount below knows when no lease is alive.  Everything
 * that changes slot g is done with g's lock held, by the one process
 * holding it:
 *   taking g:   lock g; reap what a dead holder left (the slot word is not
 *               0); write the word; keep the lock for the lease's life.
 *   dropping g: free our rooms; clear the word; unlock.
 *   reaping g:  lock g (fails if g is alive, or if another reaper has it);
 *               if the word is still set: free g's rooms, clear the word;
 *               unlock.
 * So a lease is reaped by one reaper at a time and never while its slot
 * is held again: a reaper that saw g dead and comes back later finds the
 * lock taken, or the word cleared.  A reaper killed half way drops its
 * lock with its life; the next one (or the next taker of g) reaps g again,
 * which is harmless: only rooms still owned by g are touched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "host.h"

void (*lab_test_reap_pause)(struct labyrinth *lab, uint32_t guest, bool locked);

bool lease_alive(const struct labyrinth *lab, uint32_t g)
{
	return g == lab->guest || slot_held(lab_host(lab), g);
}

/* With g's lock held: may what a dead holder left be taken back?  Its
 * extents come back first (extent_lend.c); one that could not (no memory
 * for fresh pages) keeps the lease dead, its districts held, until a
 * later reaper. */
static bool slot_settled(struct labyrinth *lab, uint32_t g)
{
	return !lab_slot_word(lab, g) || lab_extents_settle(lab, g);
}

/* With g's lock held: what a dead holder left is ours to take back. */
static uint32_t slot_reap_locked(struct labyrinth *lab, uint32_t g)
{
	uint32_t freed;

	if (!lab_slot_word(lab, g) || !slot_settled(lab, g))
		return 0;
	if (lab_test_reap_pause)
		lab_test_reap_pause(lab, g, true);
	freed = lab_reap_guest(lab, g);
	lab_slot_clear(lab, g);
	return freed;
}

static int lease_take_slot(struct labyrinth *lab)
{
	struct lab_host *mh = lab_host(lab);

	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++) {
		int err = slot_lock(mh, g);

		if (err == LAB_EBUSY)
			continue;
		if (err)
			return err;
		if (!slot_settled(lab, g)) {
			slot_unlock(mh, g);
			continue;
		}
		slot_reap_locked(lab, g);
		lab_slot_fill(lab, g, (uint64_t)getpid());
		lab_claim_page_lease(lab, g);
		return 0;
	}
	return LAB_EBUSY;
}

int lease_take(struct labyrinth *lab)
{
	int err = gate_enter(lab_host(lab));

	if (!err)
		err = lease_take_slot(lab);
	if (err)
		gate_leave(lab_host(lab));
	return err;
}

void lease_drop(struct labyrinth *lab)
{
	if (lab->guest < LAB_MAX_GUESTS) {
		lab_slot_clear(lab, lab->guest);
		slot_unlock(lab_host(lab), lab->guest);
		gate_leave(lab_host(lab));
	}
	lab->guest = LAB_NONE;
}

static uint32_t reap_slot(struct labyrinth *lab, uint32_t g)
{
	struct lab_host *mh = lab_host(lab);
	uint32_t freed;

	if (g == lab->guest || !lab_slot_word(lab, g))
		return 0;
	if (lab_test_reap_pause)
		lab_test_reap_pause(lab, g, false);
	if (slot_lock(mh, g))
		return 0;	/* alive, or somebody is reaping it */
	freed = slot_reap_locked(lab, g);
	slot_unlock(mh, g);
	return freed;
}

/*
 * With no lease alive, the free-count estimate can be made exact again
 * (a killed process loses its unpublished delta).  Only a lease-less
 * reaper does it, with the gate closed: no lease is alive, none can be
 * taken under the count, so no cursor publishes a delta on top of it.  A
 * dead lease not yet reaped (its word still set) would free rooms after
 * the count: then there is no recount this time.
 */
static void reap_recount(struct labyrinth *lab)
{
	struct lab_host *mh = lab_host(lab);
	uint32_t g = 0;

	if (lab->guest != LAB_NONE || gate_close(mh))
		return;
	while (g < LAB_MAX_GUESTS && !lab_slot_word(lab, g))
		g++;
	if (g == LAB_MAX_GUESTS)
		lab_recount_free(lab);
	gate_leave(mh);
}

int lab_reap(struct labyrinth *lab)
{
	uint32_t freed = 0;
	uint64_t seen = 0;

	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		freed += reap_slot(lab, g);
	reap_recount(lab);
	/* Episodes move only when someone polls: the monitor that began one
	 * may be what was just reaped, and nobody else may be left to end it
	 * (`info` showed pressure with every room free). */
	lab_pressure_poll(lab, &seen);
	return (int)freed;
}

int lab_lease_holder(const struct labyrinth *lab, uint32_t guest)
{
	int pid[LAB_MAX_GUESTS];

	if (guest >= LAB_MAX_GUESTS ||
	    !lab_slot_word(lab, guest) ||
	    !lease_alive(lab, guest))
		return -1;
	holder_scan(lab_host(lab), pid);
	return pid[guest];
}

unsigned int lab_leases(const struct labyrinth *lab,
			struct lab_lease_info *out, unsigned int max)
{
	int pid[LAB_MAX_GUESTS];
	struct lab_census c;
	unsigned int n = 0;
	bool scanned = false;

	lab_census(lab, &c);
	for (uint32_t g = 0; g < LAB_MAX_GUESTS && n < max; g++) {
		bool alive;

		if (!lab_slot_word(lab, g))
			continue;
		alive = lease_alive(lab, g);
		if (alive && !scanned) {
			holder_scan(lab_host(lab), pid);	/* once for all */
			scanned = true;
		}
		out[n++] = (struct lab_lease_info){
			.guest = g,
			.pid = alive ? pid[g] : -1,
			.alive = alive,
			.rooms = c.guest_rooms[g],
		};
	}
	return n;
}

uint64_t lab_lease_word(const struct labyrinth *lab, uint32_t guest)
{
	return lab_slot_word(lab, guest);
}
