// SPDX-License-Identifier: MIT
/*
 * serve.c - `labyrinth serve NAME --socket PATH [--vectors N]
 * [--max-peers P] [--group GROUP] [--stats]`: the ivshmem server of QEMU
 * guests (server.h), lending each an extent.  With --vectors 2 a peer's
 * second vector is the pressure interrupt.  Runs until SIGTERM, SIGINT or SIGHUP; every join, leave and
 * error is one line on stderr.  --stats prints BENCH lines (server
 * handling time per request) at exit.  --group is the operators' group:
 * the socket is theirs (0660), and so may be the labyrinth's file.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "server.h"

#define STATS_CAP (1u << 20)

static int serve_options(int argc, char **argv, struct serve *s, uint32_t *gid)
{
	enum { OPT_SOCKET = 256, OPT_VECTORS, OPT_MAX_PEERS, OPT_GROUP, OPT_STATS, OPT_MAX_ROOMS,
	       OPT_MIN_ROOMS };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "vectors", required_argument, NULL, OPT_VECTORS },
		{ "max-peers", required_argument, NULL, OPT_MAX_PEERS },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "max-rooms", required_argument, NULL, OPT_MAX_ROOMS },
		{ "min-rooms", required_argument, NULL, OPT_MIN_ROOMS },
		{ 0 },
	};
	int c, err = 0;

	while (!err && (c = cli_option(argc, argv, opts)) != -1) {
		if (c == OPT_SOCKET)
			s->path = optarg;
		else if (c == OPT_VECTORS)
			err = cli_number("--vectors", optarg, 1, SERVE_MAX_VECTORS, &s->vectors);
		else if (c == OPT_MAX_PEERS)
			err = cli_number("--max-peers", optarg, 1, LAB_MAX_GUESTS, &s->max_peers);
		else if (c == OPT_GROUP)
			err = cli_group("--group", optarg, gid);
		else if (c == OPT_STATS)
			s->stats_on = true;
		else if (c == OPT_MAX_ROOMS)
			err = cli_number("--max-rooms", optarg, 1, LAB_MAX_ROOMS, &s->limits.max);
		else if (c == OPT_MIN_ROOMS)
			err = cli_number("--min-rooms", optarg, 0, LAB_MAX_ROOMS, &s->limits.min);
		else
			err = CLI_EUSAGE;
	}
	if (!err && !s->path)
		err = cli_usage("serve: --socket PATH is required");
	if (!err && s->limits.min > s->limits.max)
		err = cli_usage("serve: --min-rooms is above --max-rooms");
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_line(const char *what, uint64_t *v, uint32_t n, uint32_t cap)
{
	if (n > cap)
		n = cap;
	if (!n)
		return;
	/* A benchmark harness may tag the names so runs of different peers
	 * (a fake one, a real QEMU) do not print the same figure twice. */
	const char *tag = getenv("LABYRINTH_BENCH_TAG");

	tag = tag ? tag : "";
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("BENCH %s%s %lu ns\n", tag, what, (unsigned long)v[n / 2]);
	printf("BENCH %s%s.p99 %lu ns\n", tag, what, (unsigned long)v[(uint64_t)n * 99 / 100]);
}

static int stats_start(struct serve *s)
{
	if (!s->stats_on)
		return 0;
	s->stats.cap = STATS_CAP;
	s->stats.claim1_ns = calloc(STATS_CAP, sizeof(uint64_t));
	s->stats.release1_ns = calloc(STATS_CAP, sizeof(uint64_t));
	s->stats.claim64_ns = calloc(STATS_CAP, sizeof(uint64_t));
	return s->stats.claim1_ns && s->stats.release1_ns && s->stats.claim64_ns ? 0 : -1;
}

static void stats_print(struct serve *s)
{
	if (s->stats_on) {
		bench_line("ivshmem.handle.claim1", s->stats.claim1_ns, s->stats.n_claim1,
			   s->stats.cap);
		bench_line("ivshmem.handle.release1", s->stats.release1_ns, s->stats.n_release1,
			   s->stats.cap);
		bench_line("ivshmem.handle.claim64.per_room", s->stats.claim64_ns,
			   s->stats.n_claim64, s->stats.cap);
		fflush(stdout);
	}
	free(s->stats.claim1_ns);
	free(s->stats.release1_ns);
	free(s->stats.claim64_ns);
}

int cmd_serve(int argc, char **argv)
{
	struct serve s = { .vectors = 1, .max_peers = SERVE_DEFAULT_PEERS, .next_id = 1,
			   .limits = { .max = LAB_UNLIMITED } };
	uint32_t gid = LAB_NOGROUP, guest_rooms;
	struct labyrinth *lab;
	int err = serve_options(argc, argv, &s, &gid);

	if (err)
		return err;
	s.name = cli_name(argc, argv);
	if (!s.name)
		return CLI_EUSAGE;
	if (gid != LAB_NOGROUP)
		lab_trust_group(gid);
	err = lab_open(s.name, &lab);	/* refuse at once, not per peer */
	if (err)
		return cli_fail("serve", s.name, err);
	/* A peer claims only in its extent: that is where its min is kept. */
	guest_rooms = lab_extent_rooms(lab) - LAB_IVSHMEM_MAILBOX_ROOMS;
	if (s.limits.min > guest_rooms) {
		lab_detach(lab);
		return cli_usage("serve: --min-rooms %u is above what an extent of '%s' "
				 "holds for its guest (%u rooms)", s.limits.min, s.name,
				 guest_rooms);
	}
	s.watch = lab;			/* and it polls for pressure */
	if (stats_start(&s))
		return CLI_ESYS;
	s.sig = cli_stop_fd();
	if (s.sig < 0 || listen_open(&s, gid)) {
		lab_detach(lab);
		return CLI_ESYS;
	}
	serve_log("serving labyrinth '%s' on %s (peer id %u, %u vector%s per peer, "
		  "at most %u peers)", s.name, s.path, SERVE_SERVER_ID, s.vectors,
		  s.vectors == 1 ? "" : "s", s.max_peers);
	err = serve_run(&s);
	listen_close(&s);
	serve_log("stopped after %lu requests", (unsigned long)s.stats.requests);
	lab_detach(s.watch);
	stats_print(&s);
	return err ? CLI_ESYS : s.gone ? CLI_ENONAME : CLI_OK;
}
