/* SPDX-License-Identifier: MIT */
/*
 * server.h - `labyrinth serve NAME --socket PATH`: an ivshmem server (QEMU's
 * protocol v0, docs "ivshmem-spec") that lends labyrinth rooms to QEMU
 * guests through the mailbox of include/labyrinth_ivshmem.h.
 *
 *   proto.c          the wire protocol: one int64 per message, an fd with it
 *   peer.c           one QEMU peer: its memory, eventfds, lease, handshake
 *   mailbox.c        the peer's slots as a transport of the dispatcher
 *   listen.c         the listening socket: its mode, a stale one replaced
 *   loop.c           the epoll loop: accept, doorbells, leaves, signals
 *   command/serve.c  the command line
 *
 * The server is a peer too (id 0): every guest sees it as "peer 0 with one
 * vector", but each guest is handed an eventfd of its own for it, so a
 * doorbell names the guest that rang. Guests are never told about each
 * other: they share nothing.
 */
#ifndef VMM_IVSHMEM_SERVER_H
#define VMM_IVSHMEM_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "labyrinth.h"
#include "labyrinth_dispatch.h"
#include "labyrinth_ivshmem.h"

#define SERVE_SERVER_ID 0u
#define SERVE_MAX_PEERS 65535u		/* ids 1..65535 */
#define SERVE_MAX_VECTORS 64u
#define SERVE_DEFAULT_PEERS 16u

enum serve_kind { SRC_LISTEN, SRC_SIGNAL, SRC_SOCK, SRC_BELL };

struct serve_source {
	enum serve_kind kind;
	struct serve_peer *peer;
};

struct serve_stats {
	uint64_t *claim1_ns, *release1_ns;	/* samples, ring */
	uint32_t cap, n_claim1, n_release1;
	uint64_t requests, errors;
};

struct serve_peer {
	uint32_t id;
	int sock, bell, vec[SERVE_MAX_VECTORS], memfd;
	uint32_t vectors;
	struct lab_ivshmem_header *hdr;		/* the mapping, LAB_IVSHMEM_SIZE */
	struct labyrinth *lab;			/* the peer's own lease */
	struct lab_guest guest;			/* the dispatcher's view of it */
	struct lab_caller caller;
	uint32_t answered[LAB_IVSHMEM_SLOTS];	/* our record, not the guest's */
	uint32_t room_of[LAB_IVSHMEM_ROOMS];	/* labyrinth room, LAB_NONE if free */
	uint32_t used, next;			/* rooms lent, next-fit hint */
	uint32_t serving;			/* slot of the call being served */
	uint32_t naming, page_of[LAB_HC_BATCH_MAX]; /* pages a RELEASE named */
	bool dead;
	struct serve_source sock_src, bell_src;
	struct serve_peer *link;
};

struct serve {
	const char *name, *path;
	uint32_t vectors;
	uint32_t max_peers;		/* each holds a lease: leave some to monitors */
	struct lab_limits limits;	/* every peer's max and min */
	int listen, sig, ep;
	uint64_t sock_dev, sock_ino;		/* our socket file, to unlink only it */
	uint32_t next_id;
	struct serve_peer *peers;
	unsigned int npeers;
	struct serve_stats stats;
	bool stats_on;
};

/* listen.c: 0, or -1 with a line logged. */
int listen_open(struct serve *s, uint32_t gid);
void listen_close(struct serve *s);

/* proto.c */
int proto_send(int sock, int64_t msg, int fd);

/* peer.c. A peer with no socket, lease or memory yet (NULL: no memory). */
struct serve_peer *peer_new(uint32_t id, uint32_t vectors);
/* Lends the peer its memory under @lab (its own lease, which it takes
 * over): everything but the socket and eventfds, so tests can drive the
 * mailbox without QEMU. 0 or -errno. */
int peer_lend(struct serve_peer *p, struct labyrinth *lab);
/* Scrubs the peer's memory, returns its rooms, closes and frees it all. */
void peer_free(struct serve_peer *p);
/* 0, or -errno / LAB_E* with a line already logged. */
int peer_join(struct serve *s, int sock, uint32_t id, struct serve_peer **out);
/* Scrub everything the peer held, give the rooms back, drop the lease. */
uint32_t peer_leave(struct serve_peer *p);
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mailbox.c: serve every slot with a new request; count served. */
unsigned int mailbox_serve(struct serve_peer *p, uint32_t *last_call,
			   uint32_t *last_count);
/* A request rung for but not answered (a peer leaving mid-request). */
bool mailbox_pending(struct serve_peer *p);
/* One call from slot @slot, its header already copied to @hc. */
int64_t mailbox_call(struct serve_peer *p, uint32_t slot, struct lab_hc *hc);
extern const struct lab_transport mailbox_transport;

/* loop.c */
int serve_run(struct serve *s);

#endif /* VMM_IVSHMEM_SERVER_H */
