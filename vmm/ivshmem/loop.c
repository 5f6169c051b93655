// SPDX-License-Identifier: MIT
/*
 * loop.c - one thread, one epoll: the listening socket, SIGTERM and
 * SIGINT (a signalfd), and per peer its socket (leaves, garbage) and its
 * doorbell eventfd (requests). A peer that dies is freed only after the
 * batch of events that saw it, so a later event of the batch never touches
 * freed memory.  Every TICK_MS while it has something to watch (peers
 * gone whose QEMU still maps their extent, pressure in the extents of
 * peers with a second vector, guests' eject notes, the host's asks and
 * the guests' answers) the loop looks again,
 * and every NAME_CHECK_MS whether the labyrinth is still the one its
 * name names: once destroyed (or made again), lending its extents would
 * give QEMU guests rooms of a labyrinth nobody else sees, so the server
 * stops as on SIGTERM, and whatever restarts it serves the new one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "server.h"

#define TICK_MS 5
#define NAME_CHECK_MS 1000
#define WAIT_LOG_S 5u		/* first word on a leaving peer, then every 30 s */

static int watch(struct serve *s, int fd, struct serve_source *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Stop watching a peer's socket and doorbell, before their fds close:
 * epoll keys a registration by the open file, which QEMU's copy of the
 * doorbell keeps alive, so a registration left behind would go on
 * reporting into the freed peer (and an EOF socket would spin the loop
 * while the peer is leaving). */
static void unwatch(struct serve *s, struct serve_peer *p)
{
	if (p->sock >= 0)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, p->sock, NULL);
	if (p->bell >= 0)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, p->bell, NULL);
}

static bool id_in(const struct serve_peer *p, uint32_t id)
{
	for (; p; p = p->link)
		if (p->id == id)
			return true;
	return false;
}

/* Peers gone whose QEMU still maps their extent: each keeps its lease. */
static unsigned int leaving_count(const struct serve *s)
{
	unsigned int n = 0;

	for (const struct serve_peer *p = s->leaving; p; p = p->link)
		n++;
	return n;
}

static bool id_taken(struct serve *s, uint32_t id)
{
	return id_in(s->peers, id) || id_in(s->leaving, id);
}

static uint32_t next_id(struct serve *s)
{
	for (uint32_t k = 0; k < SERVE_MAX_PEERS; k++) {
		uint32_t id = s->next_id;
		s->next_id = s->next_id % SERVE_MAX_PEERS + 1;
		if (!id_taken(s, id))
			return id;
	}
	return 0;
}

/* Attaching the same device XML again makes another device, hence another
 * peer and extent: more memory for that guest, by design; say so. */
static void log_second_device(struct serve *s, struct serve_peer *p)
{
	unsigned int others = 0;

	if (!p->pid)
		return;
	for (struct serve_peer *q = s->peers; q; q = q->link)
		others += q->pid == p->pid && !q->dead;
	if (others)
		peer_log(p, "peer %u: QEMU pid %d%s%s attaches another labyrinth device (%u already): "
			  "one more extent for the same guest", p->id, (int)p->pid,
			  p->domain[0] ? ", domain " : "", p->domain, others);
}

static void on_accept(struct serve *s)
{
	int sock = accept4(s->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned int leaving = leaving_count(s);
	struct serve_peer *p;
	uint32_t id;

	if (sock < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_log(0, "accept: %s", strerror(errno));
		return;
	}
	/* Before the lease: a connection costs a lease slot, and the slots
	 * beyond the cap are the monitors'.  A peer gone whose extent QEMU
	 * still maps keeps its lease, so it counts. */
	if (s->npeers + leaving >= s->max_peers) {
		conn_log(peer_pid_of(sock), "peer refused: %u peers already, %u more gone with "
			 "their extent still mapped (--max-peers)", s->npeers, leaving);
		close(sock);
		return;
	}
	id = next_id(s);
	if (!id) {
		conn_log(peer_pid_of(sock), "peer refused: no free peer id");
		close(sock);
		return;
	}
	if (peer_join(s, sock, id, &p))
		return;
	log_second_device(s, p);
	p->sock_src = (struct serve_source){ SRC_SOCK, p };
	p->bell_src = (struct serve_source){ SRC_BELL, p };
	if (watch(s, p->sock, &p->sock_src) || watch(s, p->bell, &p->bell_src)) {
		/* Sent already: it leaves as any peer does. */
		peer_log(p, "peer %u dropped: epoll: %s", id, strerror(errno));
		p->dead = true;
	}
	p->link = s->peers;
	s->peers = p;
	s->npeers++;
	if (p->lab)
		peer_log(p, "peer %u joined: QEMU pid %d%s%s, lease %u, extent %u (rooms %u..%u, "
			 "%u MiB, %u for the guest), %u peers", id, (int)p->pid,
			  p->domain[0] ? ", domain " : "", p->domain, lab_guest_id(p->lab), p->extent,
			  p->first_room, p->first_room + p->rooms - 1, p->rooms / 256,
			  p->rooms - LAB_IVSHMEM_MAILBOX_ROOMS, s->npeers);
}

/* QEMU never writes to the server: anything it sends is ignored (and any
 * fd riding on it closed); end of file is the peer leaving. */
static void on_sock(struct serve_peer *p)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(16 * sizeof(int))];
	} ctl;
	char junk[4096];
	struct iovec iov = { .iov_base = junk, .iov_len = sizeof(junk) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(p->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int *fds = (int *)CMSG_DATA(c);
		for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++)
			close(fds[k]);
	}
	if (n > 0) {
		peer_log(p, "peer %u: %zd unexpected bytes on the socket, ignored", p->id, n);
		return;
	}
	p->dead = true;
}

static void record(struct serve *s, uint32_t call, uint32_t count, uint64_t ns)
{
	struct serve_stats *st = &s->stats;

	if (s->stats_on && call == LAB_HC_CLAIM && count == 64)
		st->claim64_ns[st->n_claim64++ % st->cap] = ns / 64;
	if (!s->stats_on || count != 1)
		return;
	if (call == LAB_HC_CLAIM)
		st->claim1_ns[st->n_claim1++ % st->cap] = ns;
	else if (call == LAB_HC_RELEASE)
		st->release1_ns[st->n_release1++ % st->cap] = ns;
}

/* From the doorbell firing (epoll returned it) to the reply interrupt
 * (the write to the guest's vector eventfd, which KVM turns into MSI-X). */
static void on_bell(struct serve *s, struct serve_peer *p, uint64_t t0)
{
	uint32_t call = LAB_HC_NR, count = 0;
	uint64_t rings, one = 1;
	unsigned int served;

	if (read(p->bell, &rings, sizeof(rings)) < 0 || !p->hdr)
		return;
	served = mailbox_serve(p, &call, &count);
	if (!served)
		return;
	if (write(p->vec[0], &one, sizeof(one)) < 0)
		peer_log(p, "peer %u: reply interrupt: %s", p->id, strerror(errno));
	s->stats.requests += served;
	if (served == 1)
		record(s, call, count, clock_ns() - t0);
}

static void peer_gone(struct serve *s, struct serve_peer *p, uint32_t held)
{
	if (p->extent != LAB_NONE)
		peer_log(p, "peer %u left: extent %u scrubbed and returned (%u rooms the guest "
			 "held, its mailbox's %u included), %u peers", p->id, p->extent,
			 held + LAB_IVSHMEM_MAILBOX_ROOMS, LAB_IVSHMEM_MAILBOX_ROOMS, s->npeers);
	else
		peer_log(p, "peer %u left (it had no extent), %u peers", p->id, s->npeers);
	peer_free(p);
}

static void reap_dead(struct serve *s)
{
	for (struct serve_peer **pp = &s->peers; *pp;) {
		struct serve_peer *p = *pp;
		uint32_t held;

		if (!p->dead) {
			pp = &p->link;
			continue;
		}
		*pp = p->link;
		s->npeers--;
		unwatch(s, p);
		if (p->hdr && mailbox_pending(p))
			peer_log(p, "peer %u: left with a request unanswered; dropped", p->id);
		if (peer_return(p, &held)) {
			peer_gone(s, p, held);
			continue;
		}
		p->left_ns = clock_ns();
		p->link = s->leaving;
		s->leaving = p;
	}
}

/* A peer whose socket closed but whose QEMU still maps the extent: the
 * device is still there (a detach the guest never acknowledged, or QEMU
 * tearing down).  The extent stays held until the kernel says otherwise. */
static void watch_leaving(struct serve *s)
{
	uint64_t now = clock_ns();

	for (struct serve_peer **pp = &s->leaving; *pp;) {
		struct serve_peer *p = *pp;
		uint32_t held, secs = (uint32_t)((now - p->left_ns) / 1000000000u);

		if (peer_return(p, &held)) {
			*pp = p->link;
			peer_gone(s, p, held);
			continue;
		}
		if (secs >= WAIT_LOG_S + 30 * p->waits_logged) {
			peer_log(p, "peer %u: socket closed %u s ago, but QEMU pid %d still maps "
				 "extent %u; it comes back, scrubbed, when QEMU lets go of it",
				  p->id, secs, (int)p->pid, p->extent);
			p->waits_logged++;
		}
		pp = &p->link;
	}
}

/* What the guest wrote in its header when it saw QEMU's eject request:
 * an operator can tell a detach the guest acknowledged from one it never
 * saw (then virsh says success, and the device stays). */
static void watch_ejects(struct serve *s)
{
	for (struct serve_peer *p = s->peers; p; p = p->link) {
		if (!p->hdr || p->ejecting ||
		    !atomic_load_explicit((_Atomic uint32_t *)&p->hdr->ejecting,
					  memory_order_relaxed))
			continue;
		p->ejecting = true;
		peer_log(p, "peer %u: the guest acknowledged QEMU's eject request of its device "
			 "(extent %u)", p->id, p->extent);
	}
}

/*
 * Pressure.  The labyrinth's episodes are moved on here too (`info`
 * counts them with no monitor running) but not rung: they are about the
 * rooms monitors can claim, which a QEMU guest cannot give back.  A peer
 * hears of its own extent's episodes, on vector 1 when it has one.
 */
static void watch_pressure(struct serve *s)
{
	uint64_t one = 1;

	if (s->watch)
		lab_pressure_poll(s->watch, &s->pressure_seen);
	for (struct serve_peer *p = s->peers; p; p = p->link) {
		enum peer_pressure now = p->vectors < 2 ? PRESSURE_SAME : peer_pressure_poll(p);

		if (now == PRESSURE_ENDS)
			peer_log(p, "peer %u: extent %u has room again (%u of its rooms free): "
				 "the next time it runs low rings again", p->id, p->extent,
				 peer_space(p));
		if (now != PRESSURE_BEGINS)
			continue;
		peer_log(p, "peer %u: extent %u runs low (%u of its rooms free): pressure "
			 "interrupt", p->id, p->extent, peer_space(p));
		if (write(p->vec[1], &one, sizeof(one)) < 0)
			peer_log(p, "peer %u: pressure interrupt: %s", p->id, strerror(errno));
	}
}

static void watch_asks(struct serve *s)
{
	for (struct serve_peer *p = s->peers; p; p = p->link)
		ask_watch(p);
}

static int tick_ms(struct serve *s)
{
	return s->leaving || s->peers ? TICK_MS : NAME_CHECK_MS;
}

static void watch_name(struct serve *s, uint64_t now, bool *stop)
{
	if (now - s->name_checked_ns < NAME_CHECK_MS * 1000000ull)
		return;
	s->name_checked_ns = now;
	if (lab_still_named(s->watch, s->name))
		return;
	serve_log("labyrinth '%s' destroyed (or made again): stopping", s->name);
	s->gone = true;
	*stop = true;
}

static void on_signal(struct serve *s, bool *stop)
{
	struct signalfd_siginfo si;

	if (read(s->sig, &si, sizeof(si)) == sizeof(si)) {
		serve_log("signal %u: stopping", si.ssi_signo);
		*stop = true;
	}
}

/* Stopping: extents QEMU still maps stay held by their leases, which die
 * with us; the next reaper takes each back (extent_lend.c: what QEMU maps
 * is its lend's own memfd, never the pool's). */
static void leave_at_exit(struct serve *s)
{
	watch_leaving(s);
	while (s->leaving) {
		struct serve_peer *p = s->leaving;

		s->leaving = p->link;
		serve_log("peer %u: QEMU pid %d still maps extent %u; the next reaper takes "
			  "it back (QEMU keeps only its own memory)", p->id, (int)p->pid,
			  p->extent);
		peer_abandon(p);
	}
}

int serve_run(struct serve *s)
{
	struct serve_source listen_src = { SRC_LISTEN, NULL }, sig_src = { SRC_SIGNAL, NULL };
	struct epoll_event evs[32];
	bool stop = false;

	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0 || watch(s, s->listen, &listen_src) || watch(s, s->sig, &sig_src)) {
		serve_log("epoll: %s", strerror(errno));
		return -1;
	}
	while (!stop) {
		int n = epoll_wait(s->ep, evs, 32, tick_ms(s));
		uint64_t t0 = clock_ns();

		if (n < 0 && errno != EINTR) {
			serve_log("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct serve_source *src = evs[i].data.ptr;

			if (src->kind == SRC_LISTEN)
				on_accept(s);
			else if (src->kind == SRC_SIGNAL)
				on_signal(s, &stop);
			else if (src->peer->dead)
				continue;
			else if (src->kind == SRC_BELL)
				on_bell(s, src->peer, t0);
			else
				on_sock(src->peer);
		}
		reap_dead(s);
		watch_leaving(s);
		watch_ejects(s);
		watch_pressure(s);
		watch_asks(s);
		watch_name(s, t0, &stop);
		log_limit_flush(false);
	}
	for (struct serve_peer *p = s->peers; p; p = p->link)
		p->dead = true;
	reap_dead(s);
	leave_at_exit(s);
	log_limit_flush(true);
	close(s->ep);
	return 0;
}
