// SPDX-License-Identifier: MIT
/*
 * loop.c - one thread, one epoll: the listening socket, SIGTERM and
 * SIGINT (a signalfd), and per peer its socket (leaves, garbage) and its
 * doorbell eventfd (requests). A peer that dies is freed only after the
 * batch of events that saw it, so a later event of the batch never touches
 * freed memory.
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
#include <time.h>
#include <unistd.h>

#include "server.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int watch(struct serve *s, int fd, struct serve_source *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static bool id_taken(struct serve *s, uint32_t id)
{
	for (struct serve_peer *p = s->peers; p; p = p->link)
		if (p->id == id)
			return true;
	return false;
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

static void on_accept(struct serve *s)
{
	int sock = accept4(s->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct serve_peer *p;
	uint32_t id;

	if (sock < 0) {
		if (errno != EAGAIN && errno != EINTR)
			serve_log("accept: %s", strerror(errno));
		return;
	}
	/* Before the lease: a connection costs a lease slot, and the slots
	 * beyond the cap are the monitors'. */
	if (s->npeers >= s->max_peers) {
		serve_log("peer refused: %u peers already (--max-peers)", s->npeers);
		close(sock);
		return;
	}
	id = next_id(s);
	if (!id) {
		serve_log("peer refused: no free peer id");
		close(sock);
		return;
	}
	if (peer_join(s, sock, id, &p))
		return;
	p->sock_src = (struct serve_source){ SRC_SOCK, p };
	p->bell_src = (struct serve_source){ SRC_BELL, p };
	if (watch(s, p->sock, &p->sock_src) || watch(s, p->bell, &p->bell_src)) {
		serve_log("peer %u refused: epoll: %s", id, strerror(errno));
		peer_leave(p);
		return;
	}
	p->link = s->peers;
	s->peers = p;
	s->npeers++;
	serve_log("peer %u joined: lease %u, %u rooms of %u KiB at most, %u peers",
		  id, p->lab->guest, LAB_IVSHMEM_ROOMS, LAB_IVSHMEM_PAGE / 1024, s->npeers);
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
		serve_log("peer %u: %zd unexpected bytes on the socket, ignored", p->id, n);
		return;
	}
	p->dead = true;
}

static void record(struct serve *s, uint32_t call, uint32_t count, uint64_t ns)
{
	struct serve_stats *st = &s->stats;

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

	if (read(p->bell, &rings, sizeof(rings)) < 0)
		return;
	served = mailbox_serve(p, &call, &count);
	if (!served)
		return;
	if (write(p->vec[0], &one, sizeof(one)) < 0)
		serve_log("peer %u: reply interrupt: %s", p->id, strerror(errno));
	s->stats.requests += served;
	if (served == 1)
		record(s, call, count, now_ns() - t0);
}

static void reap_dead(struct serve *s)
{
	for (struct serve_peer **pp = &s->peers; *pp;) {
		struct serve_peer *p = *pp;
		uint32_t id = p->id, held;

		if (!p->dead) {
			pp = &p->link;
			continue;
		}
		*pp = p->link;
		s->npeers--;
		if (p->hdr && mailbox_pending(p))
			serve_log("peer %u: left with a request unanswered; dropped", id);
		held = peer_leave(p);
		serve_log("peer %u left: %u rooms scrubbed and returned, %u peers", id, held,
			  s->npeers);
	}
}

static void on_signal(struct serve *s, bool *stop)
{
	struct signalfd_siginfo si;

	if (read(s->sig, &si, sizeof(si)) == sizeof(si)) {
		serve_log("signal %u: stopping", si.ssi_signo);
		*stop = true;
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
		int n = epoll_wait(s->ep, evs, 32, -1);
		uint64_t t0 = now_ns();

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
	}
	for (struct serve_peer *p = s->peers; p; p = p->link)
		p->dead = true;
	reap_dead(s);
	close(s->ep);
	return 0;
}
