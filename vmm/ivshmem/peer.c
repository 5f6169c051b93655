// SPDX-License-Identifier: MIT
/*
 * peer.c - one QEMU peer: its lease, the extent lent to it, its eventfds,
 * the handshake, and taking the extent back when it leaves.
 *
 * Exclusivity: ivshmem maps the whole memory fd a peer is sent, so a peer
 * is sent one whole extent of the labyrinth (labyrinth_extent.h), whose
 * districts are held for its lease alone: every room it claims is a room
 * of the pool, counted once, and no other guest is ever lent a room of
 * it.  QEMU is sent a memfd of the lend's own (extent_lend.c), never the
 * pool's file; the extent comes back when the kernel says QEMU let go of
 * it (extent_lend.c counts the memfd's holders), with fresh pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server.h"

/* The extent's first rooms are the mailbox: claimed for the lease, never
 * in the guest's held bitmap, so the guest can neither claim nor release
 * them. */
static int peer_mailbox(struct serve_peer *p)
{
	uint32_t rooms[LAB_IVSHMEM_MAILBOX_ROOMS];
	unsigned int got;

	lab_cursor_restart(&p->caller.cursor);
	got = lab_claim_within(&p->caller.cursor, p->first_room / LAB_DISTRICT_ROOMS,
			       p->rooms / LAB_DISTRICT_ROOMS, LAB_IVSHMEM_MAILBOX_ROOMS, rooms);
	lab_cursor_park(&p->caller.cursor);
	for (uint32_t i = 0; i < got; i++)
		if (rooms[i] != p->first_room + i)
			return -EIO;
	if (got != LAB_IVSHMEM_MAILBOX_ROOMS)
		return -EIO;
	p->hdr = (struct lab_ivshmem_header *)((char *)lab_pool(p->lab) +
					       (size_t)p->first_room * LAB_ROOM_SIZE);
	mailbox_format(p);
	return 0;
}

/* A refused peer still gets a memory (QEMU's handshake needs one): one
 * page saying why, so its guest can tell. */
static int peer_refusal(struct serve_peer *p, uint32_t why)
{
	struct lab_ivshmem_header h = {
		.magic = LAB_IVSHMEM_MAGIC,
		.version = LAB_IVSHMEM_VERSION,
		.server_id = SERVE_SERVER_ID,
		.peer_id = p->id,
		.slots = LAB_IVSHMEM_SLOTS,
		.size = LAB_ROOM_SIZE,
		.extent = LAB_NONE,
		.refused = why,
	};

	p->refused = why;
	p->memfd = memfd_create("labyrinth-refused", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (p->memfd < 0)
		return -errno;
	if (ftruncate(p->memfd, LAB_ROOM_SIZE) ||
	    pwrite(p->memfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    fcntl(p->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -errno;
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
		/* Frees the lease's rooms (the mailbox's too) and districts. */
		lab_detach(p->lab);
	}
	free(p->guest.reach);
	free(p);
}

/* The dispatcher's view of the peer; ready before anything else can fail,
 * since peer_free parks its cursor. */
static int peer_guest(struct serve_peer *p)
{
	_Atomic uint64_t *held = calloc(lab_reach_words(p->lab), sizeof(*held));

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
	p->extent = LAB_NONE;
	for (uint32_t v = 0; v < SERVE_MAX_VECTORS; v++)
		p->vec[v] = -1;
	return p;
}

/* The extent's share of the labyrinth's reserve: GFP_NORMAL claims leave
 * it, as they leave the reserve in the whole labyrinth. */
static uint32_t extent_reserve(const struct labyrinth *lab, uint32_t rooms)
{
	struct lab_watermarks w;

	lab_watermarks(lab, &w);
	return (uint32_t)((uint64_t)w.min * rooms / lab_rooms(lab));
}

/* Dirty rooms (released, not zeroed yet) make a district unlendable; when
 * no extent is free, zero what the labyrinth has dirty and look again. */
static int extent_lend(struct serve_peer *p)
{
	int err = lab_extent_lend(p->lab, &p->extent, &p->memfd);

	if (err == LAB_ENOSPC && lab_scrub(&p->caller.cursor, LAB_MAX_ROOMS))
		err = lab_extent_lend(p->lab, &p->extent, &p->memfd);
	return err;
}

int peer_lend(struct serve_peer *p, struct labyrinth *lab)
{
	int err;

	p->lab = lab;
	/* Released rooms are zeroed at once, never left dirty: a claimer
	 * elsewhere that scrubs dirty rooms for itself must never find one
	 * in an extent QEMU maps. */
	lab_scrub_at_release(lab, true);
	err = peer_guest(p);
	if (!err)
		err = extent_lend(p);
	if (err) {
		p->extent = LAB_NONE;
		return err;
	}
	p->rooms = lab_extent_rooms(lab);
	p->first_room = p->extent * p->rooms;
	p->reserve = extent_reserve(lab, p->rooms);
	return peer_mailbox(p);
}

static const char *refusal(int err, uint32_t *why)
{
	*why = LAB_IVSHMEM_NO_LEASE;
	switch (err) {
	case LAB_EBUSY:
		return "every lease slot of the labyrinth is taken";
	case LAB_ENOSPC:
		*why = LAB_IVSHMEM_NO_EXTENT;
		return "no free extent to lend (every whole extent is lent, or has rooms "
		       "claimed by monitors, or is what keeps the monitors' guarantees)";
	default:
		return "cannot attach to the labyrinth";
	}
}

/* A lease and an extent for the peer, or the reason it gets none: *@what
 * for the log, *@why for its page. */
static int peer_take(struct serve *s, struct serve_peer *p, const char **what,
		     uint32_t *why)
{
	struct labyrinth *lab;
	/* Beside the server's own mapping: a join costs the same whatever
	 * the pool's size (a mapping of its own populated all of it). */
	int err = lab_attach_beside(s->watch, &lab);

	if (err) {
		*what = refusal(err, why);
		return err;
	}
	if ((s->limits.max != LAB_UNLIMITED || s->limits.min) &&
	    (err = lab_limits_set(lab, lab_guest_id(lab), s->limits.max, s->limits.min))) {
		lab_detach(lab);
		/* Its limits, not the extents: LAB_ENOSPC here is the mins
		 * passing the rooms, and refusal() would have told the guest
		 * "no free extent" with every extent free. */
		*why = LAB_IVSHMEM_NO_LEASE;
		*what = err == LAB_ENOSPC ? "its --min-rooms would pass the labyrinth's rooms"
					  : "bad limits";
		return err;
	}
	err = peer_lend(p, lab);
	if (err)
		*what = refusal(err, why);
	return err;
}

/* Refused an extent: the lease goes, the peer stays (with a page saying
 * why) until QEMU leaves. */
static int peer_refuse(struct serve_peer *p, uint32_t why, const char *what)
{
	if (p->lab) {
		peer_return(p, NULL);	/* an extent lent is not sent yet */
		lab_cursor_park(&p->caller.cursor);
		lab_detach(p->lab);
		p->lab = NULL;
	}
	p->extent = LAB_NONE;
	peer_log(p, "peer %u (pid %d%s%s) refused: %s", p->id, (int)p->pid,
		  p->domain[0] ? ", domain " : "", p->domain, what);
	return peer_refusal(p, why);
}

int peer_join(struct serve *s, int sock, uint32_t id, struct serve_peer **out)
{
	struct serve_peer *p = peer_new(id, s->vectors);
	const char *what = NULL;
	uint32_t why = LAB_IVSHMEM_NO_LEASE;
	int err;

	if (!p) {
		conn_log(peer_pid_of(sock), "peer %u refused: out of memory", id);
		close(sock);
		return -ENOMEM;
	}
	p->sock = sock;
	peer_identify(p);
	err = peer_take(s, p, &what, &why);
	if (err)
		err = peer_refuse(p, why, what);
	if (err) {
		peer_log(p, "peer %u refused: no memory for the peer (%s)", id, strerror(-err));
		peer_free(p);	/* nothing was lent, nothing sent */
		return err;
	}
	err = peer_eventfds(p);
	if (!err)
		err = peer_handshake(p);
	if (err) {
		/* QEMU may hold the extent already: it leaves as any peer does,
		 * the extent coming back once QEMU let go of it. */
		peer_log(p, "peer %u: handshake failed (%s); dropped", id, strerror(-err));
		p->dead = true;
	}
	/* QEMU holds the extent now; our copy of its description goes. */
	close(p->memfd);
	p->memfd = -1;
	if (p->lab)
		lab_extent_label(p->lab, p->extent, p->pid, p->id, p->domain);
	*out = p;
	return 0;
}

bool peer_return(struct serve_peer *p, uint32_t *held)
{
	if (p->lab && p->extent != LAB_NONE) {
		if (p->memfd >= 0) {	/* never sent */
			close(p->memfd);
			p->memfd = -1;
		}
		lab_extent_leaving(p->lab, p->extent);
		if (lab_extent_return(p->lab, p->extent))
			return false;
	}
	if (held)
		*held = p->used;
	return true;
}

uint32_t peer_space(const struct serve_peer *p)
{
	return p->rooms - LAB_IVSHMEM_MAILBOX_ROOMS - p->used;
}

/*
 * Why the extent's own episodes, not the labyrinth's: a lent extent is
 * outside the labyrinth's free count (its rooms are this guest's alone),
 * so rooms a QEMU guest gives back help only itself: its vCPUs that find
 * the extent empty while another's cache keeps rooms.
 */
enum peer_pressure peer_pressure_poll(struct serve_peer *p)
{
	struct lab_watermarks w;
	uint32_t space;

	if (!p->hdr || p->dead || p->extent == LAB_NONE)
		return PRESSURE_SAME;
	lab_watermarks_of(p->rooms - LAB_IVSHMEM_MAILBOX_ROOMS, p->reserve, &w);
	space = peer_space(p);
	if (p->pressure && space > w.high) {
		p->pressure = false;
		return PRESSURE_ENDS;
	}
	if (!p->pressure && space < w.low) {
		p->pressure = true;
		p->episodes++;
		return PRESSURE_BEGINS;
	}
	return PRESSURE_SAME;
}

void peer_abandon(struct serve_peer *p)
{
	int *fds[] = { &p->memfd, &p->bell, &p->sock };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	for (uint32_t v = 0; v < p->vectors; v++)
		if (p->vec[v] >= 0)
			close(p->vec[v]);
	/* No lab_detach: that would give the districts back under QEMU. The
	 * lease dies with this process and stays unreaped while QEMU maps. */
}
