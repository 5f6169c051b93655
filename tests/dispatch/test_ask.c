/* The host's ask (lab_ask_set, `labyrinth limit --ask`) through the
 * server to a peer's mailbox header: published with vector 1 rung, not
 * again while it stands, withdrawn; the guest's answer logged, a lie
 * clamped to the extent; a device of one vector said once; a bad lease
 * refused. No QEMU: the peer is lent its extent directly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server.h"

static struct labyrinth *lab;
static struct serve_peer *peer;
static int log_fd;

static void setup_with(uint32_t vectors)
{
	struct lab_geometry geo = {.rooms = 2048, .corridors = 2, .reserve = 64};
	char path[] = "/tmp/t-ask-XXXXXX";

	cr_assert_eq(lab_create_private(&geo, &lab), 0);
	peer = peer_new(1, vectors);
	cr_assert_not_null(peer);
	cr_assert_eq(peer_lend(peer, lab), 0);
	if (vectors > 1)
		peer->vec[1] = eventfd(0, EFD_NONBLOCK);
	/* What the server logs, to read back. */
	log_fd = mkstemp(path);
	cr_assert_geq(log_fd, 0);
	unlink(path);
	fflush(stderr);
	dup2(log_fd, 2);
}

static void setup(void)
{
	setup_with(2);
}

static void setup_one_vector(void)
{
	setup_with(1);
}

static char *logged(void)
{
	static char buf[8192];
	ssize_t n;

	log_limit_flush(true);
	fflush(stderr);
	n = pread(log_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static uint64_t rung(void)
{
	uint64_t n = 0;

	return read(peer->vec[1], &n, sizeof(n)) == sizeof(n) ? n : 0;
}

static uint32_t unmet(void)
{
	struct lab_limits l;

	lab_limits_get(peer->lab, lab_guest_id(peer->lab), &l);
	return l.unmet;
}

static void ask(uint32_t rooms)
{
	cr_assert_eq(lab_ask_set(peer->lab, lab_guest_id(peer->lab), rooms), 0);
	ask_watch(peer);
}

Test(ask, published_once_rung_and_withdrawn, .init = setup)
{
	ask_watch(peer);
	cr_assert_eq(peer->hdr->asked, LAB_IVSHMEM_NO_ASK, "no ask at first");
	cr_assert_eq(peer->hdr->asked_seq, 0);
	cr_assert_eq(rung(), 0);
	ask(100);
	cr_assert_eq(peer->hdr->asked, 100);
	cr_assert_eq(peer->hdr->asked_seq, 1);
	cr_assert_eq(rung(), 1, "vector 1 rung for the ask");
	ask_watch(peer);
	cr_assert_eq(peer->hdr->asked_seq, 1, "an ask standing is not published again");
	cr_assert_eq(rung(), 0);
	ask(LAB_NO_ASK);
	cr_assert_eq(peer->hdr->asked, LAB_IVSHMEM_NO_ASK);
	cr_assert_eq(peer->hdr->asked_seq, 2);
	cr_assert_eq(rung(), 1);
	cr_assert(strstr(logged(), "the host asks the guest to hold 100 rooms"), "%s", logged());
	cr_assert(strstr(logged(), "the host asks no size any more"), "%s", logged());
}

/* A guest that came down under pressure since the last ask is asked the
 * same size again: each `limit --ask` is an ask, even of the size standing. */
Test(ask, the_same_size_asked_again_is_a_new_ask, .init = setup)
{
	ask(100);
	cr_assert_eq(peer->hdr->asked_seq, 1);
	cr_assert_eq(rung(), 1);
	ask(100);
	cr_assert_eq(peer->hdr->asked, 100);
	cr_assert_eq(peer->hdr->asked_seq, 2, "the same size asked again was not passed on");
	cr_assert_eq(rung(), 1, "vector 1 not rung for the ask again");
	ask_watch(peer);
	cr_assert_eq(peer->hdr->asked_seq, 2, "an ask standing is published again");
	cr_assert_eq(lab_ask_set(peer->lab, lab_guest_id(peer->lab), LAB_MAX_ROOMS + 1),
		     LAB_EINVAL, "an ask past any labyrinth's rooms");
	ask_watch(peer);
	cr_assert_eq(peer->hdr->asked, 100, "a refused ask changed the one standing");
	cr_assert_eq(peer->hdr->asked_seq, 2);
}

Test(ask, the_guests_answer_is_logged_and_a_lie_clamped, .init = setup)
{
	ask(0);
	peer->hdr->unmet = 40;
	peer->hdr->answered_seq = peer->hdr->asked_seq;
	ask_watch(peer);
	cr_assert(strstr(logged(), "cannot come down to the 0 rooms asked: 40 rooms"), "%s",
		  logged());
	cr_assert_eq(unmet(), 40, "kept in the lease, for info and metrics");
	peer->hdr->unmet = 0xfffffff0u;
	ask_watch(peer);
	char want[128];
	snprintf(want, sizeof(want), "cannot come down to the 0 rooms asked: %u rooms",
		 peer->rooms);
	cr_assert(strstr(logged(), want), "%s", logged());
	cr_assert_eq(unmet(), peer->rooms);
	peer->hdr->unmet = 0;
	ask_watch(peer);
	cr_assert(strstr(logged(), "the guest answered the ask of 0 rooms"), "%s", logged());
	cr_assert_eq(unmet(), 0);
	peer->hdr->unmet = 7;
	ask_watch(peer);
	ask(5);
	cr_assert_eq(unmet(), 0, "a new ask: the last answer was to the last one");
}

Test(ask, one_vector_is_said_once, .init = setup_one_vector)
{
	ask(10);
	ask(20);
	cr_assert_eq(peer->hdr->asked, 20);
	const char *l = logged(), *first = strstr(l, "has one vector");
	cr_assert(first, "%s", l);
	cr_assert_null(strstr(first + 1, "has one vector"), "%s", l);
}

Test(ask, no_lease_no_ask, .init = setup)
{
	struct lab_limits l;

	cr_assert_eq(lab_ask_set(lab, LAB_MAX_GUESTS, 1), LAB_EINVAL);
	cr_assert_eq(lab_ask_set(lab, LAB_MAX_GUESTS - 1, 1), LAB_ESRCH);
	lab_limits_get(lab, LAB_MAX_GUESTS - 1, &l);
	cr_assert_eq(l.asked, LAB_NO_ASK, "a free slot keeps no ask");
}
