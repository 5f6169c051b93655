/* SPDX-License-Identifier: MIT */
/*
 * server.h - `labyrinth serve NAME --socket PATH`: an ivshmem server (QEMU's
 * protocol v0, docs "ivshmem-spec") that lends labyrinth rooms to QEMU
 * guests through the mailbox of include/labyrinth_ivshmem.h.
 *
 *   proto.c          the wire protocol: one int64 per message, an fd with it
 *   peer.c           one QEMU peer: its lease, its extent, eventfds, handshake
 *   credentials.c    who the peer is: QEMU's pid and libvirt domain
 *   log_limit.c      the rate limit on what peers and connections log
 *   mailbox.c        the peer's slots as a transport of the dispatcher
 *   ask.c            the host's ask (elastic RAM) passed on, the answer logged
 *   listen.c         the listening socket: its mode, a stale one replaced
 *   loop.c           the epoll loop: accept, doorbells, leaves, signals
 *   command/serve.c  the command line
 *
 * Each peer is lent one whole extent of the labyrinth (labyrinth_extent.h)
 * as its memory; a peer that leaves is kept (as `leaving`) until QEMU has
 * let go of the extent, then the extent is returned with fresh pages.
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

#include "labyrinth_host.h"
#include "labyrinth_dispatch.h"
#include "labyrinth_extent.h"
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
	uint64_t *claim64_ns;			/* per room, of 64-room claims */
	uint32_t cap, n_claim1, n_release1, n_claim64;
	uint64_t requests, errors;
};

struct serve_peer {
	uint32_t id;
	int sock, bell, vec[SERVE_MAX_VECTORS], memfd;	/* memfd: what is sent */
	uint32_t vectors;
	struct lab_ivshmem_header *hdr;		/* the extent, in our pool mapping */
	struct labyrinth *lab;			/* the peer's own lease */
	struct lab_guest guest;			/* the dispatcher's view of it */
	struct lab_caller caller;
	uint32_t answered[LAB_IVSHMEM_SLOTS];	/* our record, not the guest's */
	uint32_t extent, first_room, rooms;	/* the extent lent, LAB_NONE if none */
	uint32_t used;				/* rooms the guest holds */
	uint32_t reserve;			/* the extent's share of the reserve */
	uint32_t serving;			/* slot of the call being served */
	uint32_t refused;			/* LAB_IVSHMEM_LENT or why not */
	int32_t pid;				/* QEMU's, from the socket */
	char domain[LAB_EXTENT_DOMAIN_MAX];	/* libvirt's name for it */
	bool dead, ejecting;
	bool pressure;				/* its extent is in an episode */
	uint32_t episodes;
	uint32_t asked;				/* what its header says (ask.c) */
	uint32_t ask_number;			/* of the ask it says */
	uint32_t ask_answered, ask_unmet;	/* the guest's last answer, logged */
	bool ask_unheard_logged;		/* an ask with no vector 1 to ring */
	uint64_t left_ns;			/* when its socket closed */
	uint32_t waits_logged;
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
	struct serve_peer *leaving;	/* gone, QEMU still maps their extent */
	uint64_t pressure_seen;
	struct labyrinth *watch;	/* lease-less handle: pressure polls */
	struct serve_stats stats;
	bool stats_on;
	uint64_t name_checked_ns;	/* when the name was last looked up */
	bool gone;			/* stopped: the labyrinth was destroyed */
};

/* listen.c: 0, or -1 with a line logged. */
int listen_open(struct serve *s, uint32_t gid);
void listen_close(struct serve *s);

/* proto.c */
int proto_send(int sock, int64_t msg, int fd);

/* peer.c. A peer with no socket, lease or memory yet (NULL: no memory). */
struct serve_peer *peer_new(uint32_t id, uint32_t vectors);
/* Lends the peer an extent under @lab (its own lease, which it takes
 * over): everything but the socket and eventfds, so tests can drive the
 * mailbox without QEMU. 0, LAB_ENOSPC (no free extent) or -errno. */
int peer_lend(struct serve_peer *p, struct labyrinth *lab);
/* Closes and frees it all; its lease (rooms and districts) is dropped.
 * Only once QEMU let go of the extent (peer_return). */
void peer_free(struct serve_peer *p);
/* 0, or -errno / LAB_E* with a line already logged.  A peer refused an
 * extent is still joined, with a one-page memory saying why. */
int peer_join(struct serve *s, int sock, uint32_t id, struct serve_peer **out);
/* Takes the extent back if QEMU let go of it (fresh pages): true, and
 * *@held the rooms the guest held; false while QEMU still holds it. */
bool peer_return(struct serve_peer *p, uint32_t *held);

/* Rooms of the extent its guest may still claim. */
uint32_t peer_space(const struct serve_peer *p);
/* The extent's own pressure: its free rooms against watermarks of its own
 * (lab_watermarks_of).  What changed since the last look. */
enum peer_pressure { PRESSURE_SAME, PRESSURE_BEGINS, PRESSURE_ENDS };
enum peer_pressure peer_pressure_poll(struct serve_peer *p);

/* Stopping with QEMU still mapping the extent: closes the peer's fds
 * but keeps its lease (and the extent held) for as long as we live. */
void peer_abandon(struct serve_peer *p);

/* credentials.c: QEMU's pid and, from its command line, the libvirt
 * domain (-name guest=NAME); 0 and "" when not known. */
void peer_identify(struct serve_peer *p);
/* The pid the kernel gives for @sock's other end, 0 if none. */
int32_t peer_pid_of(int sock);
/* log.c: one line on stderr, after the time unless stderr is the journal. */
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_limit.c: a line a peer (@p) or a connection from @pid caused, if
 * the rate limit lets it through now; log_limit_flush() says, once a
 * second is over (or @ending: now), how many were left out. */
void peer_log(const struct serve_peer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void conn_log(int32_t pid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_limit_flush(bool ending);

/* mailbox.c: writes the header of a lent extent's mailbox. */
void mailbox_format(struct serve_peer *p);
/* Serve every slot with a new request; count served. */
unsigned int mailbox_serve(struct serve_peer *p, uint32_t *last_call,
			   uint32_t *last_count);
/* A request rung for but not answered (a peer leaving mid-request). */
bool mailbox_pending(struct serve_peer *p);
/* One call from slot @slot, its header already copied to @hc. */
int64_t mailbox_call(struct serve_peer *p, uint32_t slot, struct lab_hc *hc);
extern const struct lab_transport mailbox_transport;

/* ask.c: the lease's ask into the header (vector 1 rung), and the
 * guest's answers logged. */
void ask_watch(struct serve_peer *p);

/* loop.c */
int serve_run(struct serve *s);

#endif /* VMM_IVSHMEM_SERVER_H */
