// SPDX-License-Identifier: MIT
/*
 * mailbox.c - the calls of labyrinth_abi.h served from a peer's slots,
 * as a transport of the one dispatcher (labyrinth_dispatch.h), over the
 * extent lent to the peer: room r of the labyrinth is guest-physical
 * bar_base + (r - first_room) * 4096, nothing to look up.
 *
 * Every slot is guest-writable at any time: a request is copied out once
 * (the block, then the rooms it names), checked, and only the copy is used;
 * a failed call changes nothing. Whether a slot holds a new request is our
 * own record (answered[]), never the guest's `done`.
 */
#include <stdatomic.h>
#include <string.h>

#include "server.h"

static struct lab_ivshmem_slot *slot_at(struct serve_peer *p, uint32_t i)
{
	return (struct lab_ivshmem_slot *)((char *)p->hdr + LAB_IVSHMEM_SLOT_OFFSET +
					   (size_t)i * LAB_IVSHMEM_SLOT_SIZE);
}

static uint64_t mail_window_base(struct serve_peer *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)&p->hdr->bar_base,
				    memory_order_relaxed);
}

void mailbox_format(struct serve_peer *p)
{
	struct lab_watermarks w;

	/* The rule peer_pressure_poll() rings by, so the guest's elastic RAM
	 * can keep clear of it. */
	lab_watermarks_of(p->rooms - LAB_IVSHMEM_MAILBOX_ROOMS, p->reserve, &w);
	*p->hdr = (struct lab_ivshmem_header){
		.magic = LAB_IVSHMEM_MAGIC,
		.version = LAB_IVSHMEM_VERSION,
		.server_id = SERVE_SERVER_ID,
		.peer_id = p->id,
		.slots = LAB_IVSHMEM_SLOTS,
		.mailbox_rooms = LAB_IVSHMEM_MAILBOX_ROOMS,
		.rooms = p->rooms,
		.size = (uint64_t)p->rooms * LAB_ROOM_SIZE,
		.first_room = p->first_room,
		.extent = p->extent,
		.refused = LAB_IVSHMEM_LENT,
		.low = w.low,
		.high = w.high,
		.asked = LAB_IVSHMEM_NO_ASK,
	};
	p->asked = LAB_IVSHMEM_NO_ASK;
}

/* The slot being served holds the room list; the guest's rooms_gpa is
 * ignored (the server cannot read guest RAM). */
static uint64_t *mail_room_list(void *t, uint64_t gpa, unsigned int n)
{
	struct serve_peer *p = t;

	(void)gpa, (void)n;
	return slot_at(p, p->serving)->rooms;
}

/* Every room of the extent is in QEMU's mapping already: reaching one is
 * naming its address. */
static int mail_reach(void *t, const uint32_t *rooms, unsigned int n)
{
	struct serve_peer *p = t;

	(void)rooms;
	p->used += n;
	return 0;
}

/* The guest still maps the room (QEMU maps the whole extent), but no other
 * guest can be lent it before the extent comes back scrubbed. */
static void mail_unreach(void *t, const uint32_t *rooms, unsigned int n)
{
	struct serve_peer *p = t;

	(void)rooms;
	p->used -= n;
}

/* The extent's rooms, first room first, where the guest placed BAR2; the
 * dispatcher's held bitmap says which are the guest's to release (the
 * mailbox's never are). */
static void mail_window(void *t, uint64_t *base, uint64_t *size, uint32_t *first_room)
{
	struct serve_peer *p = t;

	*first_room = p->first_room;
	*base = mail_window_base(p);
	*size = (uint64_t)p->rooms * LAB_ROOM_SIZE;
}

static uint32_t mail_space(void *t)
{
	return peer_space(t);
}

static uint32_t mail_reserved(void *t)
{
	return ((struct serve_peer *)t)->reserve;
}

/* Of @n rooms, those the extent gives: GFP_NORMAL leaves its share of
 * the reserve; 0 when ALL_OR_NOTHING cannot have them all. */
static unsigned int mail_allowed(struct serve_peer *p, unsigned int flags, unsigned int n)
{
	uint32_t space = mail_space(p);
	unsigned int want = n;

	if (!(flags & LAB_GFP_ATOMIC))
		want = space <= p->reserve ? 0 : space - p->reserve < n ? space - p->reserve : n;
	return flags & LAB_ALL_OR_NOTHING && want < n ? 0 : want;
}

/* Only in the extent. */
static unsigned int mail_claim(void *t, struct lab_cursor *cur, unsigned int flags,
			       unsigned int n, uint32_t *rooms)
{
	struct serve_peer *p = t;
	unsigned int want = mail_allowed(p, flags, n);

	if (!want)
		return 0;
	return lab_claim_within(cur, p->first_room / LAB_DISTRICT_ROOMS,
				p->rooms / LAB_DISTRICT_ROOMS, want, rooms);
}

/* Whole districts of the extent, under the same rule in rooms. */
static unsigned int mail_claim_districts(void *t, struct lab_cursor *cur, unsigned int flags,
					 unsigned int n, uint32_t *districts)
{
	struct serve_peer *p = t;
	unsigned int want = mail_allowed(p, flags, n * LAB_DISTRICT_ROOMS) / LAB_DISTRICT_ROOMS;

	if (!want)
		return 0;
	return lab_claim_districts_within(cur, p->first_room / LAB_DISTRICT_ROOMS,
					  p->rooms / LAB_DISTRICT_ROOMS, want, districts);
}

static uint32_t mail_pressure_vector(void *t)
{
	struct serve_peer *p = t;

	return p->vectors >= 2 ? LAB_HC_PRESSURE_VECTOR : 0;
}

const struct lab_transport mailbox_transport = {
	.room_list = mail_room_list,
	.reach = mail_reach,
	.unreach = mail_unreach,
	.window = mail_window,
	.space = mail_space,
	.pressure_vector = mail_pressure_vector,
	.claim = mail_claim,
	.claim_districts = mail_claim_districts,
	.reserved = mail_reserved,
};

int64_t mailbox_call(struct serve_peer *p, uint32_t slot, struct lab_hc *hc)
{
	int64_t rc;

	p->serving = slot;
	rc = lab_dispatch(&p->caller, hc, &hc->u);
	if (p->caller.panicked) {
		peer_log(p, "peer %u: guest panic: %s", p->id, p->caller.panic_message);
		p->caller.panicked = false;
	}
	return rc;
}

bool mailbox_pending(struct serve_peer *p)
{
	for (uint32_t i = 0; i < LAB_IVSHMEM_SLOTS; i++)
		if (atomic_load_explicit((_Atomic uint32_t *)&slot_at(p, i)->seq,
					 memory_order_acquire) != p->answered[i])
			return true;
	return false;
}

unsigned int mailbox_serve(struct serve_peer *p, uint32_t *last_call, uint32_t *last_count)
{
	unsigned int served = 0;

	for (uint32_t i = 0; i < LAB_IVSHMEM_SLOTS; i++) {
		struct lab_ivshmem_slot *sl = slot_at(p, i);
		uint32_t seq = atomic_load_explicit((_Atomic uint32_t *)&sl->seq,
						    memory_order_acquire);
		struct lab_hc hc;

		if (seq == p->answered[i])
			continue;
		memcpy(&hc, &sl->hc, sizeof(hc));
		hc.result = mailbox_call(p, i, &hc);
		*last_call = hc.call;
		*last_count = hc.count;
		memcpy(&sl->hc, &hc, sizeof(hc));
		p->answered[i] = seq;
		atomic_store_explicit((_Atomic uint32_t *)&sl->done, seq, memory_order_release);
		served++;
	}
	return served;
}
