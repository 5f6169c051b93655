/* The Labyrinth mailbox in an ivshmem-doorbell device's shared memory
 * (BAR2), compiled by both the guest and the server (`labyrinth serve`).
 * It carries the hypercall of labyrinth_abi.h to guests that QEMU runs:
 * same calls, same struct lab_hc, same results and error codes.
 *
 * Each QEMU peer gets LAB_IVSHMEM_SIZE bytes of its own (a memfd no other
 * guest maps), laid out as
 *   [header page][LAB_IVSHMEM_SLOTS slots of two pages][rooms ...]
 * A slot is one request at a time: its first page holds seq/done and the
 * struct lab_hc, its second page the room addresses (uint64_t[512]), which
 * replace lab_hc.rooms_gpa (the server cannot read guest RAM; rooms_gpa is
 * ignored).
 *
 * A call: fill slot.hc (and slot.rooms for RELEASE), store seq + 1 into
 * slot.seq (release order), write (header.server_id << 16) | 0 to the
 * Doorbell register (BAR0 + 12). With ioeventfd the doorbell goes from KVM
 * straight to the server's eventfd. The server copies the request once,
 * answers into slot.hc (and slot.rooms for CLAIM), stores slot.done = seq,
 * then raises the guest's MSI-X vector 0. The guest may wait for the
 * interrupt or spin on slot.done (interrupt handlers spin, bounded).
 *
 * Room addresses are guest-physical: header.bar_base (written by the guest
 * once it has placed BAR2) + LAB_IVSHMEM_ROOM_OFFSET + i * 4096. INFO says
 * window_base = bar_base + LAB_IVSHMEM_ROOM_OFFSET and window_size =
 * rooms * 4096. Every room a CLAIM grants is also claimed in the labyrinth
 * under the peer's own lease (that is what `labyrinth info` counts), so
 * rooms_free is min(labyrinth free, peer rooms free). Released rooms and,
 * when the peer leaves, the whole region are scrubbed (zeroed). */
#ifndef LABYRINTH_IVSHMEM_H
#define LABYRINTH_IVSHMEM_H

#include <stdint.h>

#include "labyrinth_abi.h"

#define LAB_IVSHMEM_VENDOR 0x1af4
#define LAB_IVSHMEM_DEVICE 0x1110
#define LAB_IVSHMEM_REG_IVPOSITION 8	/* BAR0: this peer's id */
#define LAB_IVSHMEM_REG_DOORBELL 12	/* BAR0: (peer << 16) | vector */

#define LAB_IVSHMEM_MAGIC 0x3148564942414cull	/* "LABIVH1" */
#define LAB_IVSHMEM_VERSION 1
#define LAB_IVSHMEM_SIZE (2u << 20)		/* BAR2: a power of two */
#define LAB_IVSHMEM_PAGE 4096u
#define LAB_IVSHMEM_SLOTS 8u
#define LAB_IVSHMEM_SLOT_OFFSET LAB_IVSHMEM_PAGE
#define LAB_IVSHMEM_SLOT_SIZE (2 * LAB_IVSHMEM_PAGE)
#define LAB_IVSHMEM_ROOM_OFFSET \
	(LAB_IVSHMEM_SLOT_OFFSET + LAB_IVSHMEM_SLOTS * LAB_IVSHMEM_SLOT_SIZE)
#define LAB_IVSHMEM_ROOMS \
	((LAB_IVSHMEM_SIZE - LAB_IVSHMEM_ROOM_OFFSET) / LAB_IVSHMEM_PAGE)

/* Page 0. The server writes it before the peer sees the memory; the guest
 * writes only bar_base. */
struct lab_ivshmem_header {
	uint64_t magic;
	uint32_t version;
	uint32_t server_id;	/* the peer id to ring */
	uint32_t peer_id;	/* this peer's id (also BAR0 IVPosition) */
	uint32_t slots;		/* LAB_IVSHMEM_SLOTS */
	uint32_t room_offset;	/* LAB_IVSHMEM_ROOM_OFFSET */
	uint32_t rooms;		/* LAB_IVSHMEM_ROOMS */
	uint64_t size;		/* LAB_IVSHMEM_SIZE */
	uint64_t bar_base;	/* guest: where BAR2 sits guest-physically */
};

struct lab_ivshmem_slot {
	uint32_t seq;		/* guest: request number, stored last */
	uint32_t done;		/* server: seq answered, stored last */
	uint32_t pad[14];
	struct lab_hc hc;
	uint8_t fill[LAB_IVSHMEM_PAGE - 64 - sizeof(struct lab_hc)];
	uint64_t rooms[LAB_HC_BATCH_MAX];
};

_Static_assert(sizeof(struct lab_ivshmem_slot) == LAB_IVSHMEM_SLOT_SIZE, "slot is two pages");
_Static_assert(sizeof(struct lab_ivshmem_header) <= LAB_IVSHMEM_PAGE, "header fits page 0");

#endif
