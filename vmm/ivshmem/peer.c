// SPDX-License-Identifier: MIT
/*
 * serve_peer.c - one QEMU peer: memory of its own, its eventfds, its lease,
 * the handshake, and the scrub when it leaves.
 *
 * Exclusivity: ivshmem maps the whole memory fd a peer is sent, so a peer
 * gets a fresh memfd that no other guest ever sees (sealed against resizes);
 * the labyrinth's own pool is never sent. Rooms lent inside it are claimed
 * in the labyrinth under the peer's lease, so the labyrinth's accounting
 * (and `labyrinth info`) sees them, and lab_detach() gives them all back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server.h"

void serve_log(const char *fmt, ...)
{
	va_list ap;

	fputs("labyrinth serve: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int peer_memory(struct serve_peer *p)
{
	p->memfd = memfd_create("labyrinth-peer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (p->memfd < 0)
		return -errno;
	if (ftruncate(p->memfd, LAB_IVSHMEM_SIZE) ||
	    fcntl(p->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -errno;
	p->hdr = mmap(NULL, LAB_IVSHMEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->memfd, 0);
	if (p->hdr == MAP_FAILED) {
		p->hdr = NULL;
		return -errno;
	}
	*p->hdr = (struct lab_ivshmem_header){
		.magic = LAB_IVSHMEM_MAGIC,
		.version = LAB_IVSHMEM_VERSION,
		.server_id = SERVE_SERVER_ID,
		.peer_id = p->id,
		.slots = LAB_IVSHMEM_SLOTS,
		.room_offset = LAB_IVSHMEM_ROOM_OFFSET,
		.rooms = LAB_IVSHMEM_ROOMS,
		.size = LAB_IVSHMEM_SIZE,
	};
	return 0;
}

static int peer_eventfds(struct serve_peer *p)
{
	p->bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->bell < 0)
		return -errno;
	for (uint32_t v = 0; v < p->vectors; v++) {
		p->vec[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->vec[v] < 0)
			return -errno;
	}
	return 0;
}

/* The order QEMU's ivshmem_recv_setup() reads: version, id, then messages
 * until the memory; our own vectors may come after it. */
static int peer_handshake(struct serve_peer *p)
{
	int err = proto_send(p->sock, 0, -1);

	if (!err)
		err = proto_send(p->sock, p->id, -1);
	if (!err)
		err = proto_send(p->sock, -1, p->memfd);
	if (!err)
		err = proto_send(p->sock, SERVE_SERVER_ID, p->bell);
	for (uint32_t v = 0; !err && v < p->vectors; v++)
		err = proto_send(p->sock, p->id, p->vec[v]);
	return err;
}

void peer_free(struct serve_peer *p)
{
	if (p->hdr) {
		memset(p->hdr, 0, LAB_IVSHMEM_SIZE);	/* the scrub */
		munmap(p->hdr, LAB_IVSHMEM_SIZE);
	}
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->bell >= 0)
		close(p->bell);
	for (uint32_t v = 0; v < p->vectors; v++)
		if (p->vec[v] >= 0)
			close(p->vec[v]);
	if (p->sock >= 0)
		close(p->sock);
	if (p->lab) {
		lab_cursor_park(&p->caller.cursor);
		lab_caller_flush(&p->caller);
		lab_detach(p->lab);
	}
	free(p->guest.held);
	free(p);
}

/* The dispatcher's view of the peer; ready before anything else can fail,
 * since peer_free parks its cursor. */
static int peer_guest(struct serve_peer *p)
{
	_Atomic uint64_t *held = calloc(lab_held_words(p->lab), sizeof(*held));

	if (!held)
		return -ENOMEM;
	lab_guest_init(&p->guest, p->lab, &mailbox_transport, p, held);
	lab_caller_init(&p->caller, &p->guest, 0);
	return 0;
}

struct serve_peer *peer_new(uint32_t id, uint32_t vectors)
{
	struct serve_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->id = id;
	p->vectors = vectors;
	p->sock = p->memfd = p->bell = -1;
	for (uint32_t v = 0; v < SERVE_MAX_VECTORS; v++)
		p->vec[v] = -1;
	for (uint32_t i = 0; i < LAB_IVSHMEM_ROOMS; i++)
		p->room_of[i] = LAB_NONE;
	return p;
}

int peer_lend(struct serve_peer *p, struct labyrinth *lab)
{
	int err;

	p->lab = lab;
	err = peer_guest(p);
	return err ? err : peer_memory(p);
}

int peer_join(struct serve *s, int sock, uint32_t id, struct serve_peer **out)
{
	struct serve_peer *p = peer_new(id, s->vectors);
	struct labyrinth *lab;
	const char *what;
	int err;

	if (!p) {
		close(sock);
		serve_log("peer %u refused: out of memory", id);
		return -ENOMEM;
	}
	p->sock = sock;
	err = lab_attach(s->name, &lab);
	if (err) {
		what = err == LAB_EBUSY ? "every lease slot of the labyrinth is taken"
					: "cannot attach to the labyrinth";
	} else if ((s->limits.max != LAB_UNLIMITED || s->limits.min) &&
		   (err = lab_limits_set(lab, lab->guest, s->limits.max, s->limits.min))) {
		lab_detach(lab);
		what = err == LAB_ENOSPC ? "its --min-rooms would pass the labyrinth's rooms"
					 : "bad limits";
	} else if ((err = peer_lend(p, lab))) {
		what = "no memory for the peer";
	} else if ((err = peer_eventfds(p))) {
		what = "no eventfd";
	} else if ((err = peer_handshake(p))) {
		what = "handshake failed";
	}
	if (err) {
		serve_log("peer %u refused: %s (%s)", id, what, strerror(err < 0 ? -err : err));
		peer_free(p);
		return err;
	}
	*out = p;
	return 0;
}

uint32_t peer_leave(struct serve_peer *p)
{
	uint32_t held = p->used;

	/* Rooms go back scrubbed by lab_detach (the labyrinth's pages) and the
	 * peer's memory is zeroed by peer_free before its last mapping goes. */
	peer_free(p);
	return held;
}
