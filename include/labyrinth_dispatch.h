/* SPDX-License-Identifier: MIT */
/*
 * labyrinth_dispatch.h - the hypercall of labyrinth_abi.h, implemented once
 * (shared/dispatch.c) over a transport that says only what differs between
 * the ways a guest reaches the monitor:
 *   - the port transport (vmm/monitor/port_transport.c): KVM guests of ./vmm,
 *     rooms made reachable in the guest's room window;
 *   - the mailbox transport (vmm/ivshmem/mailbox.c): QEMU guests of
 *     `labyrinth serve`, rooms of the extent lent to the peer.
 * The transport copies the request header out of guest-writable memory once
 * and hands the copy in; the dispatcher copies the room list once more (in
 * for RELEASE, out for CLAIM; the same for the DISTRICT calls) and uses
 * only its copies.
 *
 * Who may release a room: a per-guest bitmap, `reach`, with one bit per room
 * the guest has claimed AND can reach.  CLAIM sets the bits only after the
 * transport made the rooms reachable; RELEASE takes them (atomically, all or
 * nothing) before it makes them unreachable and frees them.  So a sibling
 * vCPU can never release a room whose claim is still mapping it (the room
 * would be free and reachable), and two vCPUs never release one room twice.
 */
#ifndef LABYRINTH_DISPATCH_H
#define LABYRINTH_DISPATCH_H

#include "labyrinth.h"
#include "labyrinth_abi.h"

struct lab_transport {
	/* Guest memory for a room list of @n addresses at @gpa, or NULL when
	 * it is not the guest's to name (the call fails with EFAULT). */
	uint64_t *(*room_list)(void *t, uint64_t gpa, unsigned int n);
	/* Rooms become reachable by this guest: all or none (on failure none
	 * is reachable).  0 or < 0. */
	int (*reach)(void *t, const uint32_t *rooms, unsigned int n);
	/* Rooms become unreachable: when it returns, no vCPU of the guest
	 * can touch them.  It cannot fail (a transport that cannot keep that
	 * promise must end its process: the reaper frees what it held). */
	void (*unreach)(void *t, const uint32_t *rooms, unsigned int n);
	/* The window, read once per call: room @first_room sits at
	 * guest-physical @base, the next ones after it, @size bytes in all.
	 * The dispatcher turns addresses into rooms and back with it. */
	void (*window)(void *t, uint64_t *base, uint64_t *size, uint32_t *first_room);
	/* How many more rooms the transport can make reachable. */
	uint32_t (*space)(void *t);
	/* The interrupt vector that tells the guest of pressure, 0 if none. */
	uint32_t (*pressure_vector)(void *t);
	/* Optional, for a guest lent only part of the pool (an extent): claims
	 * up to @n rooms there for @cur's owner (flags as lab_claim's), and
	 * says what INFO calls reserved.  NULL: lab_claim() over the whole
	 * labyrinth, and the labyrinth's reserve. */
	unsigned int (*claim)(void *t, struct lab_cursor *cur, unsigned int flags,
			      unsigned int n, uint32_t *rooms);
	uint32_t (*reserved)(void *t);
	/* With @claim: claims up to @n districts whole in the extent
	 * (lab_claim_districts_within), the reserve as @claim keeps it. */
	unsigned int (*claim_districts)(void *t, struct lab_cursor *cur, unsigned int flags,
					unsigned int n, uint32_t *districts);
};

/* One guest: its labyrinth handle (its lease), transport and reached rooms. */
struct lab_guest {
	struct labyrinth *lab;
	const struct lab_transport *ops;
	void *t;
	_Atomic uint64_t *reach;	/* lab_reach_words() words, zeroed */
	uint32_t corridors;
};

/* One caller (a vCPU, a mailbox): its cursor and scratch space. */
struct lab_caller {
	struct lab_guest *guest;
	struct lab_cursor cursor;
	uint32_t rooms[LAB_HC_BATCH_MAX];
	uint64_t gpas[LAB_HC_BATCH_MAX];
	uint32_t districts[LAB_HC_DISTRICT_BATCH_MAX];
	uint32_t claimed, released, refused, limited;	/* not yet in the lease's tally */
	uint32_t cached;		/* the guest's last word on its caches */
	bool panicked;			/* the guest called PANIC */
	char panic_message[sizeof(((struct lab_hc *)0)->u.panic)];
};

/* Words of the reach bitmap for @lab's rooms. */
size_t lab_reach_words(const struct labyrinth *lab);
void lab_guest_init(struct lab_guest *g, struct labyrinth *lab,
		    const struct lab_transport *ops, void *t,
		    _Atomic uint64_t *reach);
void lab_caller_init(struct lab_caller *c, struct lab_guest *g, uint32_t vcpu);
/* Does the call whose header is @hc (a copy); @u is the block's union (INFO
 * writes it, PANIC reads it).  Returns the call's result. */
int64_t lab_dispatch(struct lab_caller *c, const struct lab_hc *hc, void *u);
/* Adds what the caller counted to its lease's tally; when it stops. */
void lab_caller_flush(struct lab_caller *c);
/* Has the guest claimed room @room and can it reach it (its reach bit)? */
bool lab_guest_reaches(const struct lab_guest *g, uint32_t room);

#endif /* LABYRINTH_DISPATCH_H */
