/* The Labyrinth mailbox in an ivshmem-doorbell device's shared memory
 * (BAR2), compiled by both the guest and the server (`labyrinth serve`).
 * It carries the hypercall of labyrinth_abi.h to guests that QEMU runs:
 * same calls, same struct lab_hc, same results and error codes.
 *
 * BAR2 is one whole extent of the labyrinth (labyrinth_extent.h), lent to
 * this peer alone as a memfd of its own, room i of the extent at
 * BAR2 + i * 4096. Its first LAB_IVSHMEM_MAILBOX_ROOMS rooms are the
 * mailbox, claimed in the labyrinth for the peer's lease:
 *   [header page][LAB_IVSHMEM_SLOTS slots of two pages]
 * and every room a CLAIM grants is another room of the same extent, the
 * room the labyrinth counts (`labyrinth info` shows it under the peer's
 * lease). A guest may attach several such devices (one extent
 * each): each is a mailbox of its own; rooms are released through the
 * device that granted them.
 *
 * Unit of exclusivity: the extent. QEMU maps all of BAR2, so a touch of a
 * room of one's own extent that one did not claim cannot be caught (it
 * reaches no other guest's room: the whole extent is lent to this peer
 * only, and comes back with fresh pages). Monitor guests of ./vmm
 * are held to the room.
 *
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
 * once it has placed BAR2) + i * 4096. INFO says window_base = bar_base and
 * window_size = size; rooms_free and rooms_reserved are the extent's
 * (a GFP_NORMAL claim leaves the extent's share of the reserve).
 *
 * Refusal: with no free extent to lend, the server still completes QEMU's
 * handshake (so the device appears) but with a one-page memory whose
 * header has magic and version, refused = LAB_IVSHMEM_NO_EXTENT and
 * rooms = 0: the guest's probe can say why it got nothing.
 *
 * Pressure: with two or more vectors (`serve --vectors 2`, `<msi
 * vectors='2'/>`) the server raises vector 1 when the peer's extent enters
 * a pressure episode (its free rooms below the extent's low watermark:
 * lab_watermarks_of), once per episode, and INFO names
 * LAB_HC_PRESSURE_VECTOR: the guest points MSI-X entry 1 at it.  The
 * labyrinth's own episodes are about monitors' rooms and never ring a
 * peer: a lent extent is outside them.
 *
 * Elastic RAM (version 3): the host may ask the guest to hold a size in
 * this extent (`labyrinth limit NAME GUEST --ask N`). The server writes
 * asked (rooms, the mailbox aside; LAB_IVSHMEM_NO_ASK: none), then
 * asked_seq + 1 (release order), and raises vector 1 as for pressure:
 * the guest reads asked_seq (acquire), then asked. Once it has grown or
 * shrunk as far as it can, it writes unmet (rooms it holds above the ask
 * and cannot give back: in use) and then answered_seq = asked_seq, which
 * the server logs. On vector 1 a guest also gives back elastic RAM while
 * its extent's free rooms are below low, up to high (the server's
 * watermarks for the extent, written here), and grows only as far as
 * leaves high free, so its own growth starts no episode. */
#ifndef LABYRINTH_IVSHMEM_H
#define LABYRINTH_IVSHMEM_H

#include <stdint.h>

#include "labyrinth_abi.h"

#define LAB_IVSHMEM_VENDOR 0x1af4
#define LAB_IVSHMEM_DEVICE 0x1110
#define LAB_IVSHMEM_REG_IVPOSITION 8	/* BAR0: this peer's id */
#define LAB_IVSHMEM_REG_DOORBELL 12	/* BAR0: (peer << 16) | vector */

#define LAB_IVSHMEM_MAGIC 0x3248564942414cull	/* "LABIVH2" */
#define LAB_IVSHMEM_VERSION 3	/* 3: the host's ask, the watermarks */
#define LAB_IVSHMEM_MIN_SIZE (2u << 20)		/* one district */
#define LAB_IVSHMEM_MAX_SIZE (1ull << 30)	/* what a guest places */
#define LAB_IVSHMEM_SLOTS 8u
#define LAB_IVSHMEM_SLOT_OFFSET LAB_ROOM_SIZE
#define LAB_IVSHMEM_SLOT_SIZE (2 * LAB_ROOM_SIZE)
#define LAB_IVSHMEM_MAILBOX_ROOMS \
	(1 + LAB_IVSHMEM_SLOTS * LAB_IVSHMEM_SLOT_SIZE / LAB_ROOM_SIZE)

/* header.refused */
#define LAB_IVSHMEM_LENT 0u
#define LAB_IVSHMEM_NO_EXTENT 1u	/* every whole extent is lent or in use */
#define LAB_IVSHMEM_NO_LEASE 2u		/* no lease (slots, limits, memory) */

/* header.asked */
#define LAB_IVSHMEM_NO_ASK 0xffffffffu

/* Page 0. The server writes it before the peer sees the memory; the guest
 * writes only bar_base and ejecting. */
struct lab_ivshmem_header {
	uint64_t magic;
	uint32_t version;
	uint32_t server_id;	/* the peer id to ring */
	uint32_t peer_id;	/* this peer's id (also BAR0 IVPosition) */
	uint32_t slots;		/* LAB_IVSHMEM_SLOTS */
	uint32_t mailbox_rooms;	/* LAB_IVSHMEM_MAILBOX_ROOMS, the first rooms */
	uint32_t rooms;		/* rooms of the extent, mailbox included */
	uint64_t size;		/* rooms * 4096: BAR2's size */
	uint64_t bar_base;	/* guest: where BAR2 sits guest-physically */
	uint32_t first_room;	/* the labyrinth's number of room 0 here */
	uint32_t extent;	/* which extent of the labyrinth this is */
	uint32_t refused;	/* LAB_IVSHMEM_LENT, or why not */
	uint32_t ejecting;	/* guest: it saw QEMU's eject request */
	/* version 3 */
	uint32_t low, high;	/* the extent's watermarks, in free rooms */
	uint32_t asked;		/* server: rooms the host asks it to hold here */
	uint32_t asked_seq;	/* server: + 1 on each change of asked, last */
	uint32_t unmet;		/* guest: rooms held above asked it cannot free */
	uint32_t answered_seq;	/* guest: the asked_seq it acted on, last */
};

struct lab_ivshmem_slot {
	uint32_t seq;		/* guest: request number, stored last */
	uint32_t done;		/* server: seq answered, stored last */
	uint32_t pad[14];
	struct lab_hc hc;
	uint8_t fill[LAB_ROOM_SIZE - 64 - sizeof(struct lab_hc)];
	uint64_t rooms[LAB_HC_BATCH_MAX];
};

_Static_assert(sizeof(struct lab_ivshmem_slot) == LAB_IVSHMEM_SLOT_SIZE, "slot is two pages");
_Static_assert(sizeof(struct lab_ivshmem_header) <= LAB_ROOM_SIZE, "header fits page 0");

#endif
