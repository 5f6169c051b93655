// SPDX-License-Identifier: MIT
/*
 * ask.c - the size the host asks a QEMU guest to hold (lab_ask_set, by
 * `labyrinth limit NAME GUEST --ask N`), passed on through the peer's
 * mailbox header and its vector 1 (labyrinth_ivshmem.h), and the guest's
 * answer logged and kept in the lease (info and metrics show it):
 * whether it came down to the ask, or what it could not give back.
 *
 * The ask lives in the lease (the hall), so any process may change it;
 * the server, which alone writes the header, looks every tick.  The
 * guest's answer words are untrusted: they are only logged, clamped to
 * the extent.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

_Static_assert(LAB_NO_ASK == LAB_IVSHMEM_NO_ASK, "one word for no ask");

static uint32_t load(const uint32_t *w, memory_order o)
{
	return atomic_load_explicit((_Atomic uint32_t *)w, o);
}

static void store(uint32_t *w, uint32_t v, memory_order o)
{
	atomic_store_explicit((_Atomic uint32_t *)w, v, o);
}

/* A new ask, or the same size asked again (its number changed): a guest
 * that gave rooms back since is to grow to it again. */
static void ask_publish(struct serve_peer *p, const struct lab_limits *l)
{
	uint32_t asked = l->asked;
	uint64_t one = 1;

	/* the guest's last answer was to the last ask */
	lab_ask_report_unmet(p->lab, lab_guest_id(p->lab), 0);
	store(&p->hdr->asked, asked, memory_order_relaxed);
	store(&p->hdr->asked_seq, load(&p->hdr->asked_seq, memory_order_relaxed) + 1,
	      memory_order_release);
	p->asked = asked;
	p->ask_number = l->ask_number;
	if (asked == LAB_IVSHMEM_NO_ASK)
		peer_log(p, "peer %u: the host asks no size any more (the guest holds %lld rooms)",
			 p->id, (long long)l->held);
	else
		peer_log(p, "peer %u: the host asks the guest to hold %u rooms (%u MiB); it holds "
			 "%lld", p->id, asked, asked / 256, (long long)l->held);
	if (p->vectors < 2) {
		if (!p->ask_unheard_logged)
			peer_log(p, "peer %u: its device has one vector: the guest hears of the ask "
				 "only when it looks (serve --vectors 2)", p->id);
		p->ask_unheard_logged = true;
		return;
	}
	if (write(p->vec[1], &one, sizeof(one)) < 0)
		peer_log(p, "peer %u: ask interrupt: %s", p->id, strerror(errno));
}

static void answer_log(struct serve_peer *p, uint32_t seq)
{
	uint32_t unmet = load(&p->hdr->unmet, memory_order_relaxed);
	struct lab_limits l;

	if (unmet > p->rooms)
		unmet = p->rooms;
	if (seq == p->ask_answered && unmet == p->ask_unmet)
		return;
	p->ask_answered = seq;
	p->ask_unmet = unmet;
	lab_ask_report_unmet(p->lab, lab_guest_id(p->lab), unmet);
	lab_limits_get(p->lab, lab_guest_id(p->lab), &l);
	if (unmet)
		peer_log(p, "peer %u: the guest cannot come down to the %u rooms asked: %u rooms "
			 "it holds are in use (it holds %lld)", p->id, p->asked, unmet,
			 (long long)l.held);
	else if (p->asked != LAB_IVSHMEM_NO_ASK)
		peer_log(p, "peer %u: the guest answered the ask of %u rooms: it holds %lld",
			 p->id, p->asked, (long long)l.held);
}

void ask_watch(struct serve_peer *p)
{
	struct lab_limits l;
	uint32_t seq;

	if (!p->hdr || !p->lab || p->dead || p->extent == LAB_NONE)
		return;
	lab_limits_get(p->lab, lab_guest_id(p->lab), &l);
	if (l.asked != p->asked || l.ask_number != p->ask_number)
		ask_publish(p, &l);
	seq = load(&p->hdr->answered_seq, memory_order_acquire);
	if (seq != p->ask_answered || load(&p->hdr->unmet, memory_order_relaxed) != p->ask_unmet)
		answer_log(p, seq);
}
