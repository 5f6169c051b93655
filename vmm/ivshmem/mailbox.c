// SPDX-License-Identifier: MIT
/*
 * mailbox.c - the calls of labyrinth_abi.h served from a peer's slots,
 * as a transport of the one dispatcher (labyrinth_dispatch.h).
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

/* The slot being served holds the room list; the guest's rooms_gpa is
 * ignored (the server cannot read guest RAM). */
static uint64_t *mail_room_list(void *t, uint64_t gpa, unsigned int n)
{
	struct serve_peer *p = t;

	(void)gpa, (void)n;
	return slot_at(p, p->serving)->rooms;
}

static uint32_t free_page(struct serve_peer *p)
{
	for (uint32_t k = 0; k < LAB_IVSHMEM_ROOMS; k++) {
		uint32_t i = (p->next + k) % LAB_IVSHMEM_ROOMS;
		if (p->room_of[i] == LAB_NONE) {
			p->next = (i + 1) % LAB_IVSHMEM_ROOMS;
			return i;
		}
	}
	return LAB_NONE;	/* not reached: the dispatcher asks space() first */
}

/* Each room is lent as a page of the peer's own memory. */
static int mail_reach(void *t, const uint32_t *rooms, unsigned int n, uint64_t *gpas)
{
	struct serve_peer *p = t;

	for (unsigned int k = 0; k < n; k++) {
		uint32_t i = free_page(p);

		p->room_of[i] = rooms[k];
		gpas[k] = window_base(p) + (uint64_t)i * LAB_IVSHMEM_PAGE;
	}
	p->used += n;
	return 0;
}

/* Scrubbed before the page may be lent again. The guest still maps it
 * (ivshmem maps the whole region), but no other guest ever does. */
static void mail_unreach(void *t, const uint32_t *rooms, unsigned int n)
{
	struct serve_peer *p = t;

	for (unsigned int k = 0; k < n; k++) {
		uint32_t i = p->page_of[k];

		memset(room_page(p, i), 0, LAB_IVSHMEM_PAGE);
		p->room_of[i] = LAB_NONE;
	}
	(void)rooms;
	p->used -= n;
}

/* Records the page of each room named, in order: the dispatcher hands the
 * same rooms, in the same order, to mail_unreach. */
static int64_t mail_room_at(void *t, uint64_t gpa, uint32_t *room)
{
	struct serve_peer *p = t;
	uint64_t base = window_base(p), off = gpa - base;
	uint32_t i;

	if (gpa < base || off >= (uint64_t)LAB_IVSHMEM_ROOMS * LAB_IVSHMEM_PAGE)
		return LAB_HC_ERANGE;
	if (off & (LAB_IVSHMEM_PAGE - 1))
		return LAB_HC_EINVAL;
	i = (uint32_t)(off / LAB_IVSHMEM_PAGE);
	p->page_of[p->naming++] = i;
	*room = p->room_of[i];
	return LAB_HC_OK;
}

static void mail_window(void *t, uint64_t *base, uint64_t *size)
{
	struct serve_peer *p = t;

	*base = window_base(p);
	*size = (uint64_t)LAB_IVSHMEM_ROOMS * LAB_IVSHMEM_PAGE;
}

static uint32_t mail_space(void *t)
{
	struct serve_peer *p = t;

	return LAB_IVSHMEM_ROOMS - p->used;
}

const struct lab_transport mailbox_transport = {
	.room_list = mail_room_list,
	.reach = mail_reach,
	.unreach = mail_unreach,
	.room_at = mail_room_at,
	.window = mail_window,
	.space = mail_space,
};

int64_t mailbox_call(struct serve_peer *p, uint32_t slot, struct lab_hc *hc)
{
	int64_t rc;

	p->serving = slot;
	p->naming = 0;
	rc = lab_dispatch(&p->caller, hc, &hc->u);
	if (p->caller.panicked) {
		serve_log("peer %u: guest panic: %s", p->id, p->caller.panic_message);
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
