/*
 * `labyrinth serve` against a fake QEMU peer (fake_peer.c): the protocol,
 * the calls over the mailbox with the hypercall's results, exclusivity and
 * accounting, and bad input (garbage on the socket, a peer vanishing
 * mid-request, requests beyond the peer's memory) that changes nothing.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_peer.h"
#include "labyrinth_host.h"
#include "labyrinth_extent.h"
#include "test_clock.h"
#include "test_proc.h"
#include "test_wait.h"

#define EXT 512u			/* rooms per extent in these tests */
#define MAILBOX LAB_IVSHMEM_MAILBOX_ROOMS
#define GUEST_ROOMS (EXT - MAILBOX)	/* what a peer's guest may claim */

static char name[64], sock_path[108], log_path[128];
static pid_t server;

static bool log_has(const char *what);

/* `labyrinth serve NAME --socket PATH EXTRA...`, once it says it serves. */
static pid_t spawn_server_with(const char *const extra[])
{
	const char *exe = getenv("LABYRINTH");
	char *argv[16] = { (char *)exe, "serve", name, "--socket", sock_path };
	unsigned int n = 5;
	pid_t pid;
	int log;

	cr_assert(exe, "LABYRINTH is not set");
	for (; extra && *extra && n < 15; extra++)
		argv[n++] = (char *)*extra;
	log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	cr_assert_geq(log, 0, "%s", log_path);
	pid = spawn_to(argv, -1, log);
	close(log);
	cr_assert_gt(pid, 0);
	cr_assert(WAIT_UNTIL(log_has("serving labyrinth"), 5000), "the server did not listen");
	return pid;
}

static pid_t spawn_server(void)
{
	return spawn_server_with(NULL);
}

static void name_paths(const char *prefix)
{
	snprintf(name, sizeof(name), "%s.%d", prefix, getpid());
	snprintf(sock_path, sizeof(sock_path), "/tmp/%s.%d.sock", prefix, getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/%s.%d.log", prefix, getpid());
	lab_destroy(name);
	unlink(log_path);
}

/* Extents of 2 MiB: @rooms / 512 of them to lend. */
static void start(uint32_t rooms, uint32_t reserve)
{
	struct lab_geometry geo = { .rooms = rooms, .corridors = 1, .reserve = reserve };

	name_paths("ext-lvtest");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	server = spawn_server();
}

static int stop(void)
{
	int status = -1;

	if (server > 0) {
		kill(server, SIGTERM);
		reap_within(server, 5000, &status);
		server = 0;
	}
	lab_destroy(name);
	return status;
}

static void teardown(void)
{
	stop();
	unlink(log_path);
}

static bool log_has(const char *what)
{
	char buf[16384];
	FILE *f = fopen(log_path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return strstr(buf, what);
}

struct census { uint32_t free, claimed, leases, lease_rooms; };

static struct census census(void)
{
	struct labyrinth *lab;
	struct lab_census c;
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct census r = { 0 };

	cr_assert_eq(lab_open(name, &lab), 0);
	lab_census(lab, &c);
	r.free = c.free;
	r.claimed = c.claimed;
	r.leases = lab_leases(lab, l, LAB_MAX_GUESTS);
	for (unsigned int i = 0; i < r.leases; i++)
		r.lease_rooms += l[i].rooms;
	lab_detach(lab);
	return r;
}

static void reap_now(void)
{
	struct labyrinth *lab;

	cr_assert_eq(lab_open(name, &lab), 0);
	lab_reap(lab);
	lab_detach(lab);
}

/* `labyrinth check NAME`: its status (0: every promise holds). */
static int check_status(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s check %s >>%s 2>&1", getenv("LABYRINTH"), name, log_path);
	return WEXITSTATUS(system(cmd));
}

/* The census once all @rooms are free and no lease is left, or when 3 s
 * have not brought that (the caller judges it). */
static struct census census_when_free(uint32_t rooms)
{
	struct census c;

	(void)WAIT_UNTIL((c = census()).free == rooms && !c.leases, 3000);
	return c;
}

static void connect_peer(struct fake_peer *fp)
{
	cr_assert_eq(fp_connect(fp, sock_path, 2000), 0);
}

TestSuite(serve, .fini = teardown, .timeout = 60);

Test(serve, handshake_is_protocol_v0_with_memory_of_its_own)
{
	struct fake_peer a, b;
	struct stat sa, sb;

	start(1024, 16);
	connect_peer(&a);
	connect_peer(&b);
	cr_expect_eq(a.version, 0);
	cr_expect(a.id >= 1 && b.id >= 1 && a.id != b.id, "ids %ld %ld", a.id, b.id);
	cr_expect_eq(a.size, EXT * 4096ull);
	cr_expect_eq(a.hdr->magic, LAB_IVSHMEM_MAGIC);
	cr_expect_eq(a.hdr->server_id, 0);
	cr_expect_eq(a.hdr->peer_id, (uint32_t)a.id);
	cr_expect_eq(a.hdr->rooms, EXT);
	cr_expect_eq(a.hdr->mailbox_rooms, MAILBOX);
	cr_expect_eq(a.hdr->first_room, a.hdr->extent * EXT);
	cr_expect_neq(a.hdr->extent, b.hdr->extent);
	fstat(a.mem, &sa);
	fstat(b.mem, &sb);
	cr_expect_neq(sa.st_ino, sb.st_ino, "two peers were given the same memory");
	cr_expect_eq(census().leases, 2, "one lease per peer");
	cr_expect_eq(census().claimed, 2 * MAILBOX, "the mailboxes are the peers' rooms");
	fp_close(&a);
	fp_close(&b);
	cr_expect_eq(census_when_free(1024).leases, 0);
	cr_expect(log_has("joined") && log_has("left"));
}

Test(serve, claim_write_release_and_accounting)
{
	struct fake_peer p;
	struct lab_ivshmem_slot *sl;
	struct lab_hc_info info;
	uint64_t gpa[64];

	start(1024, 16);
	connect_peer(&p);
	sl = fp_slot(&p, 0);
	cr_assert_eq(fp_simple(&p, LAB_HC_NULL, 0, 0), LAB_HC_OK);
	cr_assert_eq(fp_simple(&p, LAB_HC_INFO, 0, 0), LAB_HC_OK);
	info = sl->hc.u.info;
	cr_expect_eq(info.abi_version, LAB_HC_ABI_VERSION);
	cr_expect_eq(info.window_base, fp_window(&p));
	cr_expect_eq(info.window_size, EXT * 4096ull);
	cr_expect_eq(info.rooms_total, 1024);
	cr_expect_eq(info.rooms_free, GUEST_ROOMS, "the extent's free rooms");
	cr_expect_eq(info.rooms_reserved, 8, "the extent's share of the reserve");
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 64), 64);
	memcpy(gpa, sl->rooms, sizeof(gpa));
	for (int i = 0; i < 64; i++) {
		cr_assert(gpa[i] >= info.window_base && gpa[i] < info.window_base +
			  info.window_size && !(gpa[i] & 4095), "room 0x%lx", gpa[i]);
		memset(fp_room(&p, gpa[i]), 0xa5, 4096);
	}
	struct census c = census();
	cr_expect_eq(c.claimed, 64 + MAILBOX, "the labyrinth counts the peer's rooms");
	cr_expect_eq(c.lease_rooms, 64 + MAILBOX, "under the peer's lease");
	memcpy(sl->rooms, gpa, sizeof(gpa));
	cr_assert_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 64), LAB_HC_OK);
	cr_expect_eq(((uint8_t *)fp_room(&p, gpa[7]))[100], 0, "released room scrubbed");
	cr_expect_eq(census().free, 1024 - MAILBOX);
	/* GFP_NORMAL stops at the extent's reserve; GFP_ATOMIC takes it. */
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, LAB_HC_GFP_NORMAL, 512), GUEST_ROOMS - 8);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, LAB_HC_GFP_NORMAL, 1), LAB_HC_ENOMEM);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, LAB_HC_GFP_ATOMIC, 512), 8);
	cr_expect_eq(census().free, 1024 - EXT);
	fp_close(&p);
	struct census after = census_when_free(1024);
	cr_expect_eq(after.free, 1024, "a leaving peer's rooms return (free %u)", after.free);
	cr_expect_eq(after.leases, 0);
}

Test(serve, bad_requests_return_their_codes_and_change_nothing)
{
	struct fake_peer p;
	struct lab_ivshmem_slot *sl;
	uint64_t room;

	start(1024, 0);
	connect_peer(&p);
	sl = fp_slot(&p, 0);
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 1), 1);
	room = sl->rooms[0];
	cr_expect_eq(fp_simple(&p, 99, 0, 0), LAB_HC_ENOSYS);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 0), LAB_HC_EINVAL);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 513), LAB_HC_E2BIG);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0x80, 1), LAB_HC_EINVAL);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, LAB_HC_CORRIDOR(3), 1), LAB_HC_EINVAL);
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 600), LAB_HC_E2BIG);
	sl->rooms[0] = room + 8;
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_EINVAL);
	sl->rooms[0] = fp_window(&p) - 4096;
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_ERANGE);
	sl->rooms[0] = fp_window(&p) + EXT * 4096ull;
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_ERANGE);
	sl->rooms[0] = room;
	sl->rooms[1] = room;
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 2), LAB_HC_EALREADY);
	sl->rooms[0] = fp_window(&p);	/* the mailbox: the lease's, never the guest's */
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_EALREADY);
	sl->rooms[0] = room + 4096;	/* a room of the extent it did not claim */
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_EALREADY);
	cr_expect_eq(census().claimed, 1 + MAILBOX, "bad requests changed the labyrinth");
	sl->rooms[0] = room;
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_OK);
	sl->rooms[0] = room;
	cr_expect_eq(fp_simple(&p, LAB_HC_RELEASE, 0, 1), LAB_HC_EALREADY, "released twice");
	cr_expect_eq(census().free, 1024 - MAILBOX);
	fp_close(&p);
}

Test(serve, a_request_beyond_the_peers_memory)
{
	struct fake_peer p;

	start(2048, 0);
	connect_peer(&p);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, LAB_HC_ALL_OR_NOTHING, 512), LAB_HC_ENOMEM,
		     "all-or-nothing beyond the peer's memory");
	cr_expect_eq(census().free, 2048 - MAILBOX, "a refused claim changed the labyrinth");
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 512), GUEST_ROOMS, "partial grant");
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 1), LAB_HC_ENOMEM);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, LAB_HC_GFP_ATOMIC, 1), LAB_HC_ENOMEM);
	cr_expect_eq(census().claimed, EXT, "its whole extent, mailbox included");
	fp_simple(&p, LAB_HC_INFO, 0, 0);
	cr_expect_eq(fp_slot(&p, 0)->hc.u.info.rooms_free, 0, "INFO counts the peer's memory");
	fp_close(&p);
	cr_expect_eq(census_when_free(2048).free, 2048);
}

Test(serve, garbage_on_the_socket_is_reported_and_ignored)
{
	struct fake_peer p;
	char junk[300];
	int pipefd[2];
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
	struct iovec iov = { junk, sizeof(junk) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };

	start(1024, 0);
	connect_peer(&p);
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 3), 3);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37);
	cr_assert_eq(pipe(pipefd), 0);
	memset(&ctl, 0, sizeof(ctl));
	ctl.h.cmsg_level = SOL_SOCKET;
	ctl.h.cmsg_type = SCM_RIGHTS;
	ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&ctl.h), &pipefd[0], sizeof(int));
	cr_assert_eq(sendmsg(p.sock, &mh, 0), (ssize_t)sizeof(junk));
	cr_assert_eq(write(p.sock, "\xff\xff\xff\xff\xff\xff\xff\xff", 8), 8);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 1), 1, "the peer still served");
	cr_expect_eq(census().claimed, 4 + MAILBOX);
	cr_expect(WAIT_UNTIL(log_has("unexpected"), 1000), "no error line for garbage");
	/* A client that only sends garbage and goes. */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_expect_eq(write(s, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(s);
	fp_close(&p);
	cr_expect_eq(census_when_free(1024).free, 1024);
	struct fake_peer q;
	connect_peer(&q);
	cr_expect_eq(fp_simple(&q, LAB_HC_CLAIM, 0, 1), 1, "the server survived");
	fp_close(&q);
}

/* Lines of the server's log holding @what. */
static unsigned int log_count(const char *what)
{
	char line[1024];
	unsigned int n = 0;
	FILE *f = fopen(log_path, "r");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* Bytes sent on @sock that the server has not read yet. */
static int unread(int sock)
{
	int n = -1;

	cr_assert_eq(ioctl(sock, SIOCOUTQ, &n), 0);
	return n;
}

/* A peer decides how much garbage it sends, not how much the log takes. */
Test(serve, a_peer_cannot_flood_the_log)
{
	static char junk[4096];
	struct fake_peer p;
	unsigned int lines;

	start(1024, 0);
	connect_peer(&p);
	memset(junk, 0x5a, sizeof(junk));
	for (int i = 0; i < 200; i++)
		cr_assert_eq(write(p.sock, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 1), 1, "the peer still served");
	/* Counted once the server has read every byte and said something. */
	cr_expect(WAIT_UNTIL(!unread(p.sock) && log_count("unexpected bytes"), 5000),
		  "%d bytes unread, %u lines", unread(p.sock), log_count("unexpected bytes"));
	lines = log_count("unexpected bytes");
	cr_expect(lines >= 1 && lines <= 30, "%u lines for 200 sends of garbage", lines);
	sleep_ms(1100);	/* the log's rate starts its next second */
	cr_assert_eq(write(p.sock, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	cr_expect(WAIT_UNTIL(log_count("more lines left out"), 1000),
		  "no word of what was left out");
	fp_close(&p);
	cr_expect_eq(census_when_free(1024).free, 1024);
	cr_expect_eq(check_status(), 0);
}

/* The domain shown for a peer is read from its command line (`-name
 * guest=NAME`), which whoever connects writes: a newline in it must not
 * forge a line of the log, nor an escape reach the operator's terminal. */
Test(serve, a_peers_domain_name_stays_one_printable_line)
{
	static const char code[] =
		"import socket, sys, time\n"
		"s = socket.socket(socket.AF_UNIX)\n"
		"s.connect(sys.argv[1])\n"
		"time.sleep(0.5)\n";
	int status;
	pid_t pid;

	start(1024, 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		execlp("python3", "python3", "-c", code, sock_path, "-name",
		       "guest=ev\x1b[2Jil\nlabyrinth: forged,debug-threads=on", (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(WEXITSTATUS(status), 0, "the python peer failed");
	(void)WAIT_UNTIL(log_count("left"), 2000);
	cr_expect(log_has("domain ev?[2Jil?labyrinth: forged"), "no domain shown");
	cr_expect(!log_has("\x1b"), "an escape reached the log");
	cr_expect_eq(log_count("labyrinth: forged"), log_count("domain ev?[2Jil?"),
		     "a line of the peer's own");
	cr_expect_eq(census_when_free(1024).free, 1024);
	cr_expect_eq(check_status(), 0);
}

Test(serve, a_peer_vanishing_mid_request)
{
	struct fake_peer p, q;
	struct lab_ivshmem_slot *sl;

	start(1024, 0);
	connect_peer(&p);
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 10), 10);
	/* Two requests posted in two slots, rung, and the peer is gone. */
	for (unsigned int i = 0; i < 2; i++) {
		sl = fp_slot(&p, i);
		memset(&sl->hc, 0, sizeof(sl->hc));
		sl->hc.call = LAB_HC_CLAIM;
		sl->hc.count = 100;
	}
	fp_ring(&p, 0);
	__atomic_store_n(&fp_slot(&p, 1)->seq, 77, __ATOMIC_RELEASE);	/* never rung */
	fp_close(&p);
	struct census c = census_when_free(1024);
	cr_expect_eq(c.free, 1024, "rooms of a vanished peer did not return (%u free)", c.free);
	cr_expect_eq(c.leases, 0);
	/* Served or dropped, depending on which event the server saw first;
	 * either way one line says so. */
	cr_expect(log_has("left"), "no line for the peer leaving");
	connect_peer(&q);
	cr_expect_eq(fp_simple(&q, LAB_HC_CLAIM, 0, 1), 1, "the server survived");
	fp_close(&q);
}

/* A labyrinth destroyed (or made again) under a running server: lending
 * its extents would give QEMU guests rooms nobody else sees, so it stops
 * as on SIGTERM, says why, and exits 3, with a peer joined or none. */
Test(serve, a_destroyed_labyrinth_stops_the_server)
{
	struct lab_geometry geo = { .rooms = 1024, .corridors = 1 };
	struct fake_peer p;
	int status = 0;

	for (int again = 0; again < 2; again++) {
		start(1024, 0);
		if (again)
			connect_peer(&p);
		cr_assert_eq(lab_destroy(name), 0);
		if (again)
			cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
		bool ended = reap_within(server, 5000, &status);

		server = 0;
		cr_assert(ended && WIFEXITED(status), "the server still ran (status 0x%x)", status);
		cr_expect_eq(WEXITSTATUS(status), 3);
		cr_expect(log_has("destroyed (or made again): stopping"), "no line saying why");
		if (again) {
			fp_close(&p);
			cr_expect_eq(census_when_free(1024).free, 1024, "the new one was touched");
			cr_expect_eq(check_status(), 0);
		}
		stop();
		unlink(log_path);
	}
}

/* SIGTERM with a peer still mapping its extent: the server stops, saying
 * so; the next reaper takes the extent back at once (the memory the peer
 * maps was only ever its own), and nothing the peer writes after that
 * reaches the pool. */
Test(serve, sigterm_stops_the_server_and_keeps_a_mapped_extent)
{
	struct fake_peer p;
	int status;

	start(1024, 0);
	connect_peer(&p);
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 5), 5);
	memset(fp_room(&p, fp_window(&p) + 300 * 4096ull), 0x5a, 4096);	/* unclaimed */
	kill(server, SIGTERM);
	reap_within(server, 5000, &status);
	server = 0;
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	cr_expect_neq(access(sock_path, F_OK), 0, "socket file left behind");
	cr_expect(log_has("still maps extent"), "no line for the extent left held");
	reap_now();
	struct census c = census();
	cr_expect_eq(c.free, 1024, "the dead server's extent was not taken back");
	cr_expect_eq(c.leases, 0);
	memset(fp_room(&p, fp_window(&p) + 200 * 4096ull), 0x5a, 4096);
	cr_expect_eq(check_status(), 0, "the peer's writes reached the pool");
	fp_close(&p);
}

Test(serve, refuses_an_unknown_labyrinth_and_a_live_socket)
{
	const char *exe = getenv("LABYRINTH");
	char cmd[512];

	start(1024, 0);
	snprintf(cmd, sizeof(cmd), "%s serve ext-lvtest.nosuch.%d --socket /tmp/x.%d 2>/dev/null",
		 exe, getpid(), getpid());
	cr_expect_eq(WEXITSTATUS(system(cmd)), 3);
	snprintf(cmd, sizeof(cmd), "%s serve %s --socket %s 2>/dev/null", exe, name, sock_path);
	cr_expect_eq(WEXITSTATUS(system(cmd)), 1, "a second server on a live socket");
	snprintf(cmd, sizeof(cmd), "%s serve %s 2>/dev/null", exe, name);
	cr_expect_eq(WEXITSTATUS(system(cmd)), 2);
}

/* ---- hostile neighbours: who may connect, what --socket may remove ---- */

static void start_nb(const char *const extra[])
{
	struct lab_geometry geo = { .rooms = 2048, .corridors = 1 };

	name_paths("ext-nb-serve");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	server = spawn_server_with(extra);
}

/* `labyrinth serve` that must refuse at once: its status (killed after
 * 5 s if it serves instead). */
static int serve_refused(const char *extra)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "timeout -s KILL 5 %s serve %s --socket %s %s 2>>%s",
		 getenv("LABYRINTH"), name, sock_path, extra, log_path);
	return WEXITSTATUS(system(cmd));
}

static void census_leases(unsigned int want)
{
	(void)WAIT_UNTIL(census().leases == want, 3000);
	cr_expect_eq(census().leases, want);
}

/* @n connections that close at once, as a client looping connect/close:
 * the seconds it took, rounded up, plus one (the server's seconds need
 * not start with ours). */
static unsigned int churn(unsigned int n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double t0 = (wall_ns() / 1e9);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	for (unsigned int i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		cr_assert_geq(fd, 0);
		connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
	}
	return (unsigned int)((wall_ns() / 1e9) - t0) + 2;
}

/* Lines in the log but the server's own first one. */
static unsigned int peer_lines(void)
{
	return log_count("") - log_count("serving labyrinth");
}

/* At most 10 lines a second for what one client causes, and one "left
 * out" line per second it passed that; the server still serves. */
static void expect_limited(unsigned int seconds, const char *what)
{
	struct fake_peer p;
	unsigned int lines;

	sleep_ms(1100);		/* the churn's last second is over */
	connect_peer(&p);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 1), 1, "the server stopped serving");
	fp_close(&p);
	cr_expect(WAIT_UNTIL(log_count("more lines left out"), 1000),
		  "no word of what was left out");
	lines = peer_lines();
	cr_expect_leq(lines, 11 * seconds + 4, "%u lines of %s in %u s", lines, what, seconds);
}

/* A client looping connect/close: a join and a leave (and a failed
 * handshake) each time, and no peer lives past one connection. */
Test(serve, connection_churn_stays_within_the_rate)
{
	unsigned int seconds;

	start(1024, 0);
	seconds = churn(400);
	expect_limited(seconds, "connect/close");
}

/* The same with every peer slot taken: one refusal each. */
Test(serve, refusals_stay_within_the_rate)
{
	const char *const cap[] = { "--max-peers", "1", NULL };
	struct fake_peer a;
	unsigned int seconds;

	start_nb(cap);
	connect_peer(&a);
	seconds = churn(400);
	fp_close(&a);
	census_leases(0);
	expect_limited(seconds, "refusals");
}

Test(serve, peers_beyond_the_cap_are_refused_before_a_lease)
{
	const char *const cap[] = { "--max-peers", "2", NULL };
	struct fake_peer a, b, c;

	start_nb(cap);
	cr_expect(log_has("at most 2 peers"));
	connect_peer(&a);
	connect_peer(&b);
	cr_expect_neq(fp_connect(&c, sock_path, 2000), 0, "a third peer got in");
	fp_close(&c);
	cr_expect_eq(census().leases, 2, "a refused peer took a lease");
	cr_expect(log_has("peer refused: 2 peers already"));
	fp_close(&a);
	census_leases(1);
	connect_peer(&c);
	cr_expect_eq(fp_simple(&c, LAB_HC_CLAIM, 0, 1), 1);
	fp_close(&b);
	fp_close(&c);
	census_leases(0);
}

Test(serve, max_peers_is_a_decimal_number_in_range)
{
	start_nb(NULL);
	cr_expect(log_has("at most 16 peers"), "the default cap is not 16");
	cr_expect_eq(serve_refused("--max-peers 0"), 2);
	cr_expect_eq(serve_refused("--max-peers 65"), 2);
	cr_expect_eq(serve_refused("--max-peers 0x10"), 2);
	cr_expect_eq(serve_refused("--max-peers ' 4'"), 2);
	cr_expect_eq(serve_refused("--vectors 010x"), 2);
	cr_expect_eq(serve_refused("--socket /tmp/nb-serve-a-socket-path-longer-than-any-"
				   "sockaddr_un-can-hold-which-is-one-hundred-and-eight-bytes"
				   "-on-linux.sock"), 1);
	cr_expect(log_has("socket path too long"));
}

Test(serve, the_socket_is_the_operators_only)
{
	const char *const group[] = { "--group", "daemon", NULL };
	struct group *g = getgrnam("daemon");
	gid_t daemon = g ? g->gr_gid : 0;
	struct stat st;

	cr_assert(g, "no group daemon");
	start_nb(NULL);
	cr_assert_eq(lstat(sock_path, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 0777, 0600, "socket mode %o", st.st_mode & 0777);
	stop();
	if (geteuid())
		cr_skip_test("giving the socket a group needs root");
	start_nb(group);
	cr_assert_eq(lstat(sock_path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0660, "socket mode %o", st.st_mode & 0777);
	cr_expect_eq(st.st_gid, daemon);
}

Test(serve, socket_removes_only_a_stale_socket)
{
	struct lab_geometry geo = { .rooms = 256, .corridors = 1 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fake_peer p;
	char buf[16] = "";
	int fd;

	name_paths("nb-serve");
	cr_assert_eq(lab_create(name, &geo), 0);
	/* A file of somebody's: refused, left as it was. */
	fd = open(sock_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(write(fd, "precious", 8), 8);
	close(fd);
	cr_expect_eq(serve_refused(""), 1);
	fd = open(sock_path, O_RDONLY);
	cr_expect_eq(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	cr_expect_str_eq(buf, "precious", "the file at --socket was changed");
	cr_expect(log_has("exists and is not a socket"));
	unlink(sock_path);
	cr_assert_eq(mkdir(sock_path, 0700), 0);
	cr_expect_eq(serve_refused(""), 1);
	cr_expect_eq(rmdir(sock_path), 0, "the directory at --socket went");
	/* A socket nobody listens on: a leftover, replaced. */
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	server = spawn_server();
	connect_peer(&p);
	fp_close(&p);
}

Test(serve, at_exit_only_its_own_socket_goes)
{
	char moved[140];
	int fd;

	start_nb(NULL);
	snprintf(moved, sizeof(moved), "%s.moved", sock_path);
	cr_assert_eq(rename(sock_path, moved), 0);
	fd = open(sock_path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	stop();
	cr_expect_eq(access(sock_path, F_OK), 0, "a file that replaced the socket was removed");
	unlink(sock_path);
	unlink(moved);
}

Test(serve, a_group_writable_labyrinth_needs_its_group)
{
	struct lab_geometry geo = { .rooms = 1024, .corridors = 1 };
	const char *const group[] = { "--group", "daemon", NULL };
	struct group *g = getgrnam("daemon");
	struct fake_peer p;

	if (geteuid())
		cr_skip_test("a file of group daemon needs root");
	cr_assert(g, "no group daemon");
	name_paths("ext-nb-serve");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, g->gr_gid), 0);
	cr_expect_eq(serve_refused(""), 5, "served an untrusted labyrinth");
	server = spawn_server_with(group);
	connect_peer(&p);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 2), 2);
	fp_close(&p);
}

Test(serve, every_peer_gets_the_servers_limits)
{
	static const char *const extra[] = { "--max-rooms", "40", NULL };
	struct lab_geometry geo = { .rooms = 2048, .corridors = 1, .reserve = 0 };
	struct fake_peer p;

	name_paths("ext-lvtest");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	server = spawn_server_with(extra);
	connect_peer(&p);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 64), 40, "a partial grant up to the max");
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 1), LAB_HC_EDQUOT);
	cr_expect_eq(census().claimed, 40 + MAILBOX, "the mailbox is not the guest's claim");
	fp_close(&p);
	cr_expect_eq(census_when_free(2048).free, 2048);
}

/* ---- extents: what a peer is lent, and how it comes back ---- */

static uint32_t room_of(struct fake_peer *p, uint64_t gpa)
{
	return p->hdr->first_room + (uint32_t)((gpa - fp_window(p)) / 4096);
}

/* Byte @off of room @room, read from the extent's own file. */
static void read_pool_file(uint32_t room, char *buf, size_t len)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "/dev/shm/labyrinth.%s+%u", name, room / EXT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(pread(fd, buf, len, (off_t)(room % EXT) * 4096), (ssize_t)len);
	close(fd);
}

static bool extent_zero(uint32_t k)
{
	static char page[4096];

	for (uint32_t r = 0; r < EXT; r++) {
		read_pool_file(k * EXT + r, page, sizeof(page));
		for (size_t i = 0; i < sizeof(page); i++)
			if (page[i])
				return false;
	}
	return true;
}

Test(serve, no_free_extent_is_refused_with_a_page_saying_why)
{
	struct fake_peer a, b, c;

	start(1024, 0);
	connect_peer(&a);
	connect_peer(&b);
	connect_peer(&c);
	cr_expect_eq(c.size, 4096, "a refused peer gets one page");
	cr_expect_eq(c.hdr->magic, LAB_IVSHMEM_MAGIC);
	cr_expect_eq(c.hdr->refused, LAB_IVSHMEM_NO_EXTENT);
	cr_expect_eq(c.hdr->rooms, 0);
	(void)WAIT_UNTIL(log_has("no free extent"), 1000);
	cr_expect(log_has("refused: no free extent"), "no clear line for the refusal");
	cr_expect_eq(fp_simple(&c, LAB_HC_NULL, 0, 0), HC_TIMEOUT, "a refused peer was served");
	struct census s = census();
	cr_expect_eq(s.leases, 2, "the refused peer kept a lease");
	cr_expect_eq(s.claimed, 2 * MAILBOX);
	fp_close(&c);
	fp_close(&a);
	fp_close(&b);
	s = census_when_free(1024);
	cr_expect_eq(s.free, 1024, "something leaked (free %u)", s.free);
	cr_expect_eq(s.leases, 0);
	cr_expect_eq(check_status(), 0);
}

/* Every lease slot taken (here by 64 monitors' leases): a peer is refused
 * with a page saying it got no lease and one log line, and nothing changes
 * (no lease, no room, check ok); with a slot free again the next peer is
 * served. */
Test(serve, a_peer_with_every_lease_taken_is_refused_and_changes_nothing)
{
	struct lab_geometry geo = { .rooms = 1024, .corridors = 1 };
	struct labyrinth *monitors[LAB_MAX_GUESTS];
	struct fake_peer p, q;

	name_paths("cov-serve");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	for (unsigned int i = 0; i < LAB_MAX_GUESTS; i++)
		cr_assert_eq(lab_attach(name, &monitors[i]), 0, "lease %u", i);
	server = spawn_server();
	connect_peer(&p);
	cr_expect_eq(p.size, 4096, "a refused peer gets one page");
	cr_expect_eq(p.hdr->refused, LAB_IVSHMEM_NO_LEASE);
	(void)WAIT_UNTIL(log_has("refused: every lease slot"), 1000);
	cr_expect(log_has("refused: every lease slot of the labyrinth is taken"),
		  "no clear line for the refusal");
	cr_expect_eq(fp_simple(&p, LAB_HC_NULL, 0, 0), HC_TIMEOUT, "a refused peer was served");
	struct census c = census();
	cr_expect_eq(c.leases, LAB_MAX_GUESTS);
	cr_expect_eq(c.free, 1024);
	cr_expect_eq(check_status(), 0);
	lab_detach(monitors[0]);
	connect_peer(&q);
	cr_expect_eq(q.hdr->refused, 0, "a slot free again, and still refused");
	cr_expect_eq(fp_simple(&q, LAB_HC_CLAIM, 0, 1), 1);
	fp_close(&q);
	fp_close(&p);
	for (unsigned int i = 1; i < LAB_MAX_GUESTS; i++)
		lab_detach(monitors[i]);
	c = census_when_free(1024);
	cr_expect_eq(c.free, 1024, "something leaked (free %u)", c.free);
	cr_expect_eq(c.leases, 0);
	cr_expect_eq(check_status(), 0);
}

/* --min-rooms a peer cannot be given because the guarantees together
 * would pass the rooms (a monitor's lease keeps most of them): the peer
 * is refused, its page says it got no lease (the extents are free: "no
 * free extent" would send its operator the wrong way), one log line, and
 * neither a lease nor an extent is taken. */
Test(serve, a_peer_whose_min_cannot_be_kept_is_refused_and_changes_nothing)
{
	static const char *const extra[] = { "--min-rooms", "200", NULL };
	struct lab_geometry geo = { .rooms = 2048, .corridors = 1 };
	struct labyrinth *monitor;
	struct fake_peer p;

	name_paths("cov-serve");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	cr_assert_eq(lab_attach(name, &monitor), 0);
	cr_assert_eq(lab_limits_set(monitor, lab_guest_id(monitor), LAB_UNLIMITED, 2048 - 100), 0);
	server = spawn_server_with(extra);
	connect_peer(&p);
	cr_expect_eq(p.size, 4096, "a refused peer gets one page");
	cr_expect_eq(p.hdr->refused, LAB_IVSHMEM_NO_LEASE, "refused %u", p.hdr->refused);
	(void)WAIT_UNTIL(log_has("refused: its --min-rooms"), 1000);
	cr_expect(log_has("refused: its --min-rooms would pass the labyrinth's rooms"),
		  "no clear line for the refusal");
	struct census c = census();
	cr_expect_eq(c.leases, 1, "the refused peer kept a lease");
	cr_expect_eq(c.free, 2048);
	for (uint32_t k = 0; k < 4; k++) {
		struct labyrinth *lab;

		cr_assert_eq(lab_open(name, &lab), 0);
		cr_expect_eq(lab_extent_state(lab, k), LAB_EXTENT_POOL, "extent %u", k);
		lab_detach(lab);
	}
	cr_expect_eq(check_status(), 0);
	fp_close(&p);
	lab_detach(monitor);
}

/* Does the pool's file of extent @k hold any page? */
static bool pool_file_has_pages(uint32_t k)
{
	char path[160];
	int fd;
	bool pages;

	snprintf(path, sizeof(path), "/dev/shm/labyrinth.%s+%u", name, k);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	pages = lseek(fd, 0, SEEK_DATA) >= 0;
	close(fd);
	return pages;
}

/* The guest's memory is its lend's own (a memfd the extent's size): what
 * it writes is never in the pool's file, whose pages of the extent are a
 * hole while it is lent (its memory is paid once); a monitor claiming
 * meanwhile never gets a room of the lent extent; the extent comes back
 * all zero. */
Test(serve, guest_writes_stay_in_its_lend_and_the_extent_returns_zero)
{
	struct fake_peer p;
	struct labyrinth *mon;
	struct lab_cursor cur;
	uint32_t rooms[512], lent, got = 0, n;
	char want[32], seen[32];
	uint64_t gpa[100];

	start(1536, 0);
	connect_peer(&p);
	lent = p.hdr->extent;
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 100), 100);
	memcpy(gpa, fp_slot(&p, 0)->rooms, sizeof(gpa));
	for (int i = 0; i < 100; i++)
		snprintf(fp_room(&p, gpa[i]), 32, "labyrinth room %u", room_of(&p, gpa[i]));
	for (int i = 0; i < 100; i++) {
		snprintf(want, sizeof(want), "labyrinth room %u", room_of(&p, gpa[i]));
		cr_assert_str_eq(fp_room(&p, gpa[i]), want);
		read_pool_file(room_of(&p, gpa[i]), seen, sizeof(seen));
		cr_expect_eq(seen[0], 0, "the guest's room reached the pool's file");
	}
	cr_expect_not(pool_file_has_pages(lent), "a lent extent's memory is paid twice");
	cr_assert_eq(lab_attach(name, &mon), 0);
	lab_cursor_init(&cur, mon, 0);
	while ((n = lab_claim(&cur, LAB_GFP_ATOMIC, 0, 512, rooms)) > 0)
		for (uint32_t i = 0; i < n; i++, got++)
			cr_assert_neq(rooms[i] / EXT, lent, "a monitor got room %u of the lent extent",
				      rooms[i]);
	cr_expect_eq(got, 1536 - EXT, "the monitor got every other room");
	cr_expect_eq(check_status(), 0, "labyrinth check with an extent lent");
	memset(fp_room(&p, fp_window(&p) + 400 * 4096ull), 0x77, 4096);	/* never claimed */
	fp_close(&p);
	(void)WAIT_UNTIL(log_has("scrubbed and returned"), 3000);
	cr_expect(extent_zero(lent), "the extent came back dirty");
	lab_cursor_park(&cur);
	lab_detach(mon);
	cr_expect_eq(census_when_free(1536).free, 1536);
	cr_expect_eq(check_status(), 0, "labyrinth check after the return");
}

/* SIGTERM to the server, waited for; its status. */
static int stop_server(void)
{
	int status = -1;

	kill(server, SIGTERM);
	reap_within(server, 5000, &status);
	server = 0;
	return status;
}

/*
 * A hostile QEMU: it tries to resize what it was sent and open it to all,
 * closes its socket and keeps its mapping.  The extent stays its own while
 * it maps it (the next peer gets another one); when the server dies, the
 * next reaper takes it back at once, and a new server lends it to the next
 * peer.  The old borrower reads none of the new guest's rooms and writes
 * none of them, nor the pool's free rooms; nothing it did reached the
 * pool's files.
 */
Test(serve, a_borrower_that_keeps_its_mapping_keeps_nothing)
{
	struct fake_peer a, b, c;
	uint64_t gpa[64], size;
	uint32_t lent;
	char *old;

	start(1024, 0);
	connect_peer(&a);
	lent = a.hdr->extent;
	size = a.size;
	old = (char *)a.hdr;
	cr_expect_neq(ftruncate(a.mem, 4096), 0, "the borrower shrank its memory");
	cr_expect_neq(ftruncate(a.mem, (off_t)size * 2), 0, "the borrower grew its memory");
	fchmod(a.mem, 0666);
	close(a.sock);
	a.sock = -1;
	connect_peer(&b);
	cr_expect_neq(b.hdr->extent, lent, "lent again while its borrower maps it");
	fp_close(&b);
	census_leases(1);
	cr_expect_eq(stop_server(), 0);
	reap_now();
	cr_expect_eq(census().leases, 0, "the dead server's lease is kept for a mapping");
	unlink(log_path);	/* its "serving" line is the new server's to say */
	server = spawn_server();
	connect_peer(&c);
	cr_expect_eq(c.hdr->extent, lent, "the next peer got another extent");
	cr_assert_eq(fp_simple(&c, LAB_HC_CLAIM, 0, 64), 64);
	memcpy(gpa, fp_slot(&c, 0)->rooms, sizeof(gpa));
	for (int i = 0; i < 64; i++)
		snprintf(fp_room(&c, gpa[i]), 32, "secret of c %d", i);
	for (int i = 0; i < 64; i++)
		cr_expect_neq(strncmp(old + (gpa[i] - fp_window(&c)), "secret", 6), 0,
			      "the old borrower reads the new guest's room %d", i);
	memset(old + LAB_IVSHMEM_MAILBOX_ROOMS * 4096, 0x66, size - LAB_IVSHMEM_MAILBOX_ROOMS * 4096);
	for (int i = 0; i < 64; i++)
		cr_expect_eq(strncmp(fp_room(&c, gpa[i]), "secret of c", 11), 0,
			     "the old borrower wrote the new guest's room %d", i);
	cr_expect_eq(fp_simple(&c, LAB_HC_CLAIM, 0, 1), 1, "the server stopped serving");
	cr_expect_eq(census().free, 1024 - 65 - MAILBOX);
	fp_close(&c);
	cr_expect_eq(census_when_free(1024).free, 1024);
	cr_expect_eq(check_status(), 0, "the old borrower's writes reached the pool");
	fp_close(&a);
}

/* Claims with @flags until refused; returns how many, listed in @rooms. */
static uint32_t claim_all(struct lab_cursor *cur, unsigned int flags, uint32_t *rooms)
{
	uint32_t got = 0, n;

	while ((n = lab_claim(cur, flags, 0, LAB_HC_BATCH_MAX, rooms + got)) > 0)
		got += n;
	return got;
}

static void release_all(struct lab_cursor *cur, const uint32_t *rooms, uint32_t n)
{
	for (uint32_t i = 0; i < n; i += LAB_HC_BATCH_MAX)
		cr_assert_eq(lab_release(cur, rooms + i,
					 n - i < LAB_HC_BATCH_MAX ? n - i : LAB_HC_BATCH_MAX), 0);
}

/* A lent extent's free rooms are its guest's alone, so they are not free
 * for monitors: a monitor's GFP_NORMAL claims stop at the reserve of what
 * monitors can have, GFP_ATOMIC gets that reserve, and pressure starts.
 * Once the peer left the count is whole again, to the room. */
Test(serve, lent_rooms_are_not_free_for_monitors)
{
	static uint32_t rooms[1536];
	struct fake_peer p;
	struct labyrinth *mon;
	struct lab_cursor cur;
	uint32_t normal, atomic;
	uint64_t seen = 0;

	start(1536, 48);
	connect_peer(&p);
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 64), 64, "the peer claims in its extent");
	cr_assert_eq(lab_attach(name, &mon), 0);
	lab_cursor_init(&cur, mon, 0);
	cr_expect_eq(lab_free_watched(mon), 1536 - EXT, "the watched count: %lld",
		     (long long)lab_free_watched(mon));
	cr_expect_not(lab_pressure_poll(mon, &seen), "pressure before anything was claimed");
	normal = claim_all(&cur, LAB_GFP_NORMAL, rooms);
	cr_expect_eq(normal, 1536 - EXT - 48, "GFP_NORMAL took %u rooms", normal);
	lab_cursor_park(&cur);	/* publishes its count, as a monitor does per call */
	cr_expect(lab_pressure_poll(mon, &seen), "no pressure with the monitors' rooms gone");
	atomic = claim_all(&cur, LAB_GFP_ATOMIC, rooms + normal);
	cr_expect_eq(atomic, 48, "GFP_ATOMIC found %u of the reserve's 48 rooms", atomic);
	release_all(&cur, rooms, normal + atomic);
	fp_close(&p);
	(void)WAIT_UNTIL(log_has("scrubbed and returned"), 3000);
	cr_expect_eq(census().leases, 1, "only the monitor's lease is left");
	normal = claim_all(&cur, LAB_GFP_NORMAL, rooms);
	cr_expect_eq(normal, 1536 - 48, "after the return GFP_NORMAL took %u rooms", normal);
	release_all(&cur, rooms, normal);
	lab_cursor_park(&cur);
	cr_expect_eq(lab_free_watched(mon), 1536, "the watched count drifted: %lld",
		     (long long)lab_free_watched(mon));
	lab_detach(mon);
	cr_expect_eq(check_status(), 0);
}

/*
 * A QEMU peer's min is kept by its extent, where alone it claims: its
 * claims meet its max only, and monitors are not held back for it.  (Its
 * claims were judged against the monitors' free count, and refused with
 * free rooms in its own extent; monitors lost the peers' unmet mins.)
 */
Test(serve, a_peers_min_is_kept_by_its_extent)
{
	static const char *const extra[] = { "--min-rooms", "50", NULL };
	struct lab_geometry geo = { .rooms = 3 * EXT, .corridors = 1 };
	static uint32_t rooms[3 * EXT];
	struct fake_peer a, b;
	struct labyrinth *mon;
	struct lab_cursor cur;
	struct lab_floor floor;
	uint32_t got;

	name_paths("ext-lvtest");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	cr_expect_eq(serve_refused("--min-rooms 600"), 2, "a min no extent holds");
	cr_expect(log_has("is above what an extent of"));
	server = spawn_server_with(extra);
	connect_peer(&a);
	connect_peer(&b);
	cr_assert_eq(lab_attach(name, &mon), 0);
	/* what the dispatcher lets a monitor claim: every room outside the
	 * extents (the peers' unmet mins hold nothing back) */
	lab_cursor_init(&cur, mon, 0);
	cr_expect_eq(lab_limits_take(mon, lab_guest_id(mon), EXT, &floor).rooms, EXT);
	got = lab_claim_floored(&cur, LAB_GFP_NORMAL, 0, EXT, rooms, &floor);
	cr_expect_eq(got, EXT, "a monitor may claim %u of the %u rooms outside the "
		     "extents", got, EXT);
	release_all(&cur, rooms, got);
	lab_limits_return(mon, lab_guest_id(mon), EXT);
	/* the monitors' rooms all taken: a peer still has its extent */
	got = claim_all(&cur, LAB_GFP_ATOMIC, rooms);
	lab_cursor_park(&cur);
	cr_expect_eq(fp_simple(&a, LAB_HC_CLAIM, 0, 300), 300);
	cr_expect_eq(fp_simple(&a, LAB_HC_CLAIM, 0, 1), 1, "refused in its own extent");
	release_all(&cur, rooms, got);
	lab_cursor_park(&cur);
	lab_detach(mon);
	fp_close(&a);
	fp_close(&b);
	cr_expect_eq(census_when_free(3 * EXT).free, 3 * EXT);
	cr_expect_eq(check_status(), 0);
}

/* Descriptors the server's epoll watches (its fdinfo lists each as
 * "tfd:"): a peer's socket and doorbell leave it once the server has seen
 * the peer's socket close. */
static unsigned int server_watches(void)
{
	char dir[64], path[320], link[64], line[256];
	unsigned int n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)server);
	d = opendir(dir);
	cr_assert(d, "no server");
	while ((e = readdir(d))) {
		ssize_t len;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = 0;
		if (strcmp(link, "anon_inode:[eventpoll]"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)server, e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			n += !strncmp(line, "tfd:", 4);
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

/* Seconds of CPU the server has used (a spinning loop shows at once). */
static double server_cpu_s(void)
{
	char path[64], buf[1024], *end;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)server);
	f = fopen(path, "r");
	cr_assert(f && fgets(buf, sizeof(buf), f), "no server");
	fclose(f);
	end = strrchr(buf, ')');
	cr_assert(end && sscanf(end + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &st) == 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Not a benchmark: an idle server uses next to nothing, a loop that spins
 * uses the whole second; the bound sits far from both. */
static void expect_idle_server(const char *while_what)
{
	double c0 = server_cpu_s();

	sleep_ms(1000);
	cr_expect_lt(server_cpu_s() - c0, 0.5, "the server spins %s: %.2f s of CPU in 1 s",
		     while_what, server_cpu_s() - c0);
}

/* A peer gone (socket closed) whose QEMU still maps its extent: the
 * server waits for it idle (its EOF socket spun the loop). */
Test(serve, a_leaving_peer_is_waited_for_idle)
{
	struct fake_peer p;
	unsigned int watches;

	start(2 * EXT, 0);
	watches = server_watches();
	connect_peer(&p);
	cr_expect_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 8), 8);
	close(p.sock);
	p.sock = -1;
	cr_assert(WAIT_UNTIL(server_watches() == watches, 5000),
		  "the server never saw the socket close");
	expect_idle_server("while a peer is leaving");
	cr_expect_eq(census().leases, 1, "the extent is still mapped");
	fp_close(&p);
	cr_expect_eq(census_when_free(2 * EXT).free, 2 * EXT);
	cr_expect_eq(check_status(), 0);
}

/* QEMU keeps the doorbell the server made for a peer: ringing it once the
 * peer is freed must reach nothing (it reached the freed peer, forever). */
Test(serve, a_freed_peers_doorbell_reaches_nothing)
{
	struct fake_peer p, q;
	uint64_t one = 1;
	int bell;

	start(2 * EXT, 0);
	connect_peer(&p);
	bell = p.bell;
	p.bell = -1;
	fp_close(&p);
	cr_assert(WAIT_UNTIL(log_has("left"), 3000), "the peer was not freed");
	cr_assert_eq(write(bell, &one, sizeof(one)), (ssize_t)sizeof(one));
	expect_idle_server("on a freed peer's doorbell");
	connect_peer(&q);
	cr_expect_eq(fp_simple(&q, LAB_HC_CLAIM, 0, 1), 1, "a new peer is served");
	fp_close(&q);
	close(bell);
	cr_expect_eq(census_when_free(2 * EXT).free, 2 * EXT);
	cr_expect_eq(check_status(), 0);
}

/* A peer gone with its extent still mapped keeps its lease: it counts
 * against --max-peers, or peers could take every lease the monitors have. */
Test(serve, leaving_peers_count_against_max_peers)
{
	static const char *const cap[] = { "--max-peers", "2", NULL };
	struct fake_peer p[3];
	unsigned int watches;

	start_nb(cap);
	watches = server_watches();
	for (int i = 0; i < 2; i++) {
		connect_peer(&p[i]);
		close(p[i].sock);	/* QEMU keeps the mapping */
		p[i].sock = -1;
	}
	/* No log line says the server saw both sockets close (it speaks of a
	 * leaving peer after 5 s): its epoll stops watching them. */
	cr_assert(WAIT_UNTIL(server_watches() == watches, 5000),
		  "the server never saw the sockets close");
	cr_expect_neq(fp_connect(&p[2], sock_path, 2000), 0, "a third peer got in");
	fp_close(&p[2]);
	cr_expect(log_has("more gone with their extent still mapped"));
	cr_expect_eq(census().leases, 2);
	fp_close(&p[0]);
	fp_close(&p[1]);
	census_leases(0);
	cr_expect_eq(census().free, 2048);
	cr_expect_eq(check_status(), 0);
}

/* The server killed with an extent lent and rooms claimed there: once
 * QEMU lets go, a reaper returns the extent and the count is whole. */
Test(serve, a_killed_servers_extent_counts_back_whole)
{
	static uint32_t rooms[1536];
	struct fake_peer p;
	struct labyrinth *mon;
	struct lab_cursor cur;
	uint32_t normal;

	start(1536, 48);
	connect_peer(&p);
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 64), 64);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	server = 0;
	fp_close(&p);
	reap_now();
	cr_assert_eq(lab_attach(name, &mon), 0);
	lab_cursor_init(&cur, mon, 0);
	normal = claim_all(&cur, LAB_GFP_NORMAL, rooms);
	cr_expect_eq(normal, 1536 - 48, "GFP_NORMAL took %u rooms", normal);
	release_all(&cur, rooms, normal);
	lab_cursor_park(&cur);
	lab_detach(mon);
	cr_expect_eq(check_status(), 0);
}

/* The socket closes but QEMU still maps the extent (a detach not yet
 * complete): the extent stays held until the mapping goes. */
Test(serve, an_extent_comes_back_only_when_qemu_lets_go)
{
	struct fake_peer p;
	void *still;
	uint32_t lent;

	start(1024, 0);
	connect_peer(&p);
	lent = p.hdr->extent;
	cr_assert_eq(fp_simple(&p, LAB_HC_CLAIM, 0, 10), 10);
	still = mmap(NULL, p.size, PROT_READ | PROT_WRITE, MAP_SHARED, p.mem, 0);
	cr_assert_neq(still, MAP_FAILED);
	fp_close(&p);
	cr_expect(WAIT_UNTIL(log_has("still maps extent"), 7000),
		  "no line for a peer whose QEMU holds on");
	struct census c = census();
	cr_expect_eq(c.leases, 1, "the lease went while QEMU maps its extent");
	cr_expect_eq(c.claimed, 10 + MAILBOX);
	memset((char *)still + 300 * 4096, 0x33, 4096);
	munmap(still, p.size);
	c = census_when_free(1024);
	cr_expect_eq(c.free, 1024);
	cr_expect_eq(c.leases, 0);
	cr_expect(extent_zero(lent), "the extent came back dirty");
	cr_expect_eq(check_status(), 0);
}

/* Whether vector 1 of @fp rang within @ms (and clears it). */
static bool rang(struct fake_peer *fp, int ms)
{
	struct pollfd pfd = { .fd = fp->vec1, .events = POLLIN };
	uint64_t rings = 0;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(fp->vec1, &rings, sizeof(rings)) == (ssize_t)sizeof(rings) && rings >= 1;
}

/* Claims @n rooms for peer @fp in batches of 64, their addresses kept in
 * @gpa (a fake guest's page list). */
static void peer_claim(struct fake_peer *fp, uint32_t n, uint64_t *gpa)
{
	for (uint32_t got = 0; got < n;) {
		uint32_t k = n - got < 64 ? n - got : 64;

		cr_assert_eq(fp_simple(fp, LAB_HC_CLAIM, LAB_HC_GFP_ATOMIC, k), (int64_t)k);
		memcpy(gpa + got, fp_slot(fp, 0)->rooms, k * sizeof(*gpa));
		got += k;
	}
}

/* With two vectors a peer hears of pressure in its own extent: INFO names
 * the vector, and its extent's free rooms falling below the extent's low
 * watermark ring its vector 1, once per episode; another peer's extent,
 * or the labyrinth running low for monitors, does not ring it. */
Test(serve, pressure_in_its_extent_rings_vector_one)
{
	static const char *const extra[] = { "--vectors", "2", NULL };
	struct lab_geometry geo = { .rooms = 4 * EXT, .corridors = 1 };
	static uint32_t held[4 * EXT];
	static uint64_t gpa[EXT];
	struct lab_watermarks w;
	struct labyrinth *lab;
	struct lab_cursor cur;
	struct fake_peer a, b;
	uint32_t n = 0, got;

	name_paths("ext-pressure");
	cr_assert_eq(lab_create_extents(name, &geo, EXT, LAB_NOGROUP), 0);
	server = spawn_server_with(extra);
	cr_assert_eq(fp_connect_vectors(&a, sock_path, 2000, 2), 0);
	cr_assert_eq(fp_connect_vectors(&b, sock_path, 2000, 2), 0);
	cr_assert_eq(fp_simple(&a, LAB_HC_INFO, 0, 0), LAB_HC_OK);
	cr_expect_eq(fp_slot(&a, 0)->hc.u.info.pressure_vector, LAB_HC_PRESSURE_VECTOR);
	lab_watermarks_of(GUEST_ROOMS, 0, &w);
	/* The labyrinth runs low for monitors: not the peers' business. */
	cr_assert_eq(lab_attach(name, &lab), 0);
	lab_cursor_init(&cur, lab, 0);
	while ((got = lab_claim(&cur, LAB_GFP_ATOMIC, 0, 512, held + n)) > 0)
		n += got;
	lab_cursor_park(&cur);
	cr_expect_eq(n, 2 * EXT, "the monitor got the two extents not lent");
	cr_expect_not(rang(&a, 200) || rang(&b, 0), "a monitors' episode rang a peer");
	/* Peer a's extent runs low: a hears, b does not. */
	peer_claim(&a, GUEST_ROOMS - w.low + 1, gpa);
	cr_expect(rang(&a, 2000), "no pressure interrupt with %u rooms free in the extent",
		  w.low - 1);
	cr_expect_not(rang(&b, 100), "peer b heard of peer a's extent");
	cr_expect(log_has("runs low"), "the server did not log the episode");
	/* Once per episode; back above high ends it, and a new one rings. */
	cr_expect_not(rang(&a, 100), "rang twice in one episode");
	memcpy(fp_slot(&a, 0)->rooms, gpa, 64 * sizeof(*gpa));
	cr_assert_eq(fp_simple(&a, LAB_HC_RELEASE, 0, 64), LAB_HC_OK);
	cr_expect(WAIT_UNTIL(log_has("has room again"), 2000),
		  "the server never saw the extent back above its high watermark");
	peer_claim(&a, 64, gpa);
	cr_expect(rang(&a, 2000), "a second episode did not ring");
	for (uint32_t i = 0; i < n; i += 512)
		lab_release(&cur, held + i, n - i < 512 ? n - i : 512);
	lab_cursor_park(&cur);
	lab_detach(lab);
	fp_close(&a);
	fp_close(&b);
}


/* A guest swinging its extent between nearly empty and full: an episode
 * each swing, but its "runs low" lines stay within the rate. */
Test(serve, pressure_swings_stay_within_the_rate)
{
	static const char *const extra[] = { "--vectors", "2", NULL };
	static uint64_t gpa[EXT];
	struct lab_watermarks w;
	struct fake_peer a;
	uint32_t n;
	double t0;
	unsigned int seconds, lines;

	name_paths("ext-swing");
	cr_assert_eq(lab_create_extents(name, &(struct lab_geometry){ 2 * EXT, 1, 0 }, EXT,
					LAB_NOGROUP), 0);
	server = spawn_server_with(extra);
	cr_assert_eq(fp_connect_vectors(&a, sock_path, 2000, 2), 0);
	lab_watermarks_of(GUEST_ROOMS, 0, &w);
	n = GUEST_ROOMS - w.low + 1;
	t0 = (wall_ns() / 1e9);
	for (int swing = 0; swing < 150; swing++) {
		peer_claim(&a, n, gpa);
		sleep_ms(6);	/* a tick of the server's: it sees the episode */
		for (uint32_t i = 0; i < n; i += 64) {
			uint32_t k = n - i < 64 ? n - i : 64;

			memcpy(fp_slot(&a, 0)->rooms, gpa + i, k * sizeof(*gpa));
			cr_assert_eq(fp_simple(&a, LAB_HC_RELEASE, 0, k), LAB_HC_OK);
		}
		sleep_ms(6);
	}
	seconds = (unsigned int)((wall_ns() / 1e9) - t0) + 2;
	fp_close(&a);
	sleep_ms(1100);
	lines = log_count("runs low");
	cr_expect_geq(lines, 1, "no episode logged");
	cr_expect_leq(lines, 10 * seconds, "%u 'runs low' lines in %u s", lines, seconds);
	cr_expect(log_count("more lines left out"), "no word of what was left out");
}
