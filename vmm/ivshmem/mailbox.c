// SPDX-License-Identifier: MIT
/*
 * serve_mailbox.c - the calls of labyrinth_abi.h served from a peer's slots,
 * with vmm/hypercall.c's semantics and error codes.
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

static uint8_t *room_page(struct serve_peer *p, uint32_t i)
{
	return (uint8_t *)p->hdr + LAB_IVSHMEM_ROOM_OFFSET + (size_t)i * LAB_IVSHMEM_PAGE;
}

static uint64_t window_base(struct serve_peer *p)
{
	return atomic_load_explicit((_Atomic uint64_t *)&p->hdr->bar_base,
				    memory_order_relaxed) + LAB_IVSHMEM_ROOM_OFFSET;
}

static int64_t call_info(struct serve_peer *p, struct lab_hc *hc)
{
	struct lab_census c;
	uint32_t room_free = LAB_IVSHMEM_ROOMS - p->used;

	lab_census(p->lab, &c);
	hc->u.info = (struct lab_hc_info){
		.abi_version = LAB_HC_ABI_VERSION,
		.room_size = LAB_HC_ROOM_SIZE,
		.window_base = window_base(p),
		.window_size = (uint64_t)LAB_IVSHMEM_ROOMS * LAB_IVSHMEM_PAGE,
		.rooms_total = c.rooms,
		.rooms_free = c.free < room_free ? c.free : room_free,
		.rooms_reserved = c.reserved,
		.guest_id = p->lab->guest,
		.corridors = c.corridors,
	};
	return LAB_HC_OK;
}

static uint32_t free_room(struct serve_peer *p)
{
	for (uint32_t k = 0; k < LAB_IVSHMEM_ROOMS; k++) {
		uint32_t i = (p->next + k) % LAB_IVSHMEM_ROOMS;
		if (p->room_of[i] == LAB_NONE) {
			p->next = (i + 1) % LAB_IVSHMEM_ROOMS;
			return i;
		}
	}
	return LAB_NONE;	/* not reached: callers check p->used */
}

static int64_t call_claim(struct serve_peer *p, struct lab_hc *hc, uint64_t *rooms)
{
	uint32_t corridor = (hc->flags >> LAB_HC_CORRIDOR_SHIFT) & 0xff;
	uint32_t room_free = LAB_IVSHMEM_ROOMS - p->used;
	unsigned int n, flags;

	if (hc->flags & ~LAB_HC_FLAGS_VALID || corridor >= p->corridors)
		return LAB_HC_EINVAL;
	/* Beyond what this peer's memory can hold: a partial grant, or
	 * nothing with EXCLUSIVE; never a room outside the peer's memory. */
	n = hc->count < room_free ? hc->count : room_free;
	if (!n || (hc->flags & LAB_HC_EXCLUSIVE && n < hc->count))
		return LAB_HC_ENOMEM;
	flags = (hc->flags & LAB_HC_GFP_ATOMIC ? LAB_GFP_ATOMIC : LAB_GFP_NORMAL) |
		(hc->flags & LAB_HC_THISCORRIDOR ? LAB_THISCORRIDOR : 0);
	n = lab_claim(&p->cur, flags, corridor, n, p->tmp);
	if (n && hc->flags & LAB_HC_EXCLUSIVE && n < hc->count) {
		lab_release(&p->cur, p->tmp, n);
		n = 0;
	}
	if (!n)
		return LAB_HC_ENOMEM;
	for (unsigned int k = 0; k < n; k++) {
		uint32_t i = free_room(p);
		p->room_of[i] = p->tmp[k];
		rooms[k] = window_base(p) + (uint64_t)i * LAB_IVSHMEM_PAGE;
	}
	p->used += n;
	return n;
}

/* The whole batch is checked before anything changes. */
static int64_t release_check(struct serve_peer *p, const uint64_t *gpas, unsigned int n)
{
	uint64_t base = window_base(p);

	for (unsigned int k = 0; k < n; k++) {
		uint64_t off = gpas[k] - base;
		if (gpas[k] < base || off >= (uint64_t)LAB_IVSHMEM_ROOMS * LAB_IVSHMEM_PAGE)
			return LAB_HC_ERANGE;
		if (off & (LAB_IVSHMEM_PAGE - 1))
			return LAB_HC_EINVAL;
		p->tmp[k] = (uint32_t)(off / LAB_IVSHMEM_PAGE);
	}
	for (unsigned int k = 0; k < n; k++) {
		if (p->room_of[p->tmp[k]] == LAB_NONE)
			return LAB_HC_EALREADY;
		for (unsigned int j = 0; j < k; j++)
			if (p->tmp[j] == p->tmp[k])
				return LAB_HC_EALREADY;
	}
	return LAB_HC_OK;
}

static int64_t call_release(struct serve_peer *p, struct lab_hc *hc, uint64_t *rooms)
{
	uint32_t *lab_rooms = p->lab_rooms;
	unsigned int n = hc->count;
	int64_t rc;

	memcpy(p->gpas, rooms, n * sizeof(uint64_t));
	rc = release_check(p, p->gpas, n);
	if (rc)
		return rc;
	for (unsigned int k = 0; k < n; k++)
		lab_rooms[k] = p->room_of[p->tmp[k]];
	if (lab_release(&p->cur, lab_rooms, n) < 0)
		return LAB_HC_EALREADY;	/* not reached: we hold them */
	/* Scrubbed before the room may be lent again. The guest still maps
	 * it (ivshmem maps the whole region), but no other guest ever does. */
	for (unsigned int k = 0; k < n; k++) {
		memset(room_page(p, p->tmp[k]), 0, LAB_IVSHMEM_PAGE);
		p->room_of[p->tmp[k]] = LAB_NONE;
	}
	p->used -= n;
	return LAB_HC_OK;
}

int64_t mailbox_call(struct serve_peer *p, struct lab_hc *hc, uint64_t *rooms)
{
	int64_t rc;

	switch (hc->call) {
	case LAB_HC_NULL:
		return LAB_HC_OK;
	case LAB_HC_INFO:
		return call_info(p, hc);
	case LAB_HC_CLAIM:
	case LAB_HC_RELEASE:
		if (hc->count == 0)
			return LAB_HC_EINVAL;
		if (hc->count > LAB_HC_BATCH_MAX)
			return LAB_HC_E2BIG;
		rc = hc->call == LAB_HC_CLAIM ? call_claim(p, hc, rooms)
					      : call_release(p, hc, rooms);
		/* As in the VMM: no district held across requests. */
		lab_cursor_park(&p->cur);
		return rc;
	case LAB_HC_PANIC:
		hc->u.panic[sizeof(hc->u.panic) - 1] = 0;
		serve_log("peer %u: guest panic: %s", p->id, hc->u.panic);
		return LAB_HC_OK;
	default:
		return LAB_HC_ENOSYS;
	}
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
		hc.result = mailbox_call(p, &hc, sl->rooms);
		*last_call = hc.call;
		*last_count = hc.count;
		memcpy(&sl->hc, &hc, sizeof(hc));
		p->answered[i] = seq;
		atomic_store_explicit((_Atomic uint32_t *)&sl->done, seq, memory_order_release);
		served++;
	}
	return served;
}
