// SPDX-License-Identifier: MIT
/*
 * cmd_serve.c - `labyrinth serve NAME --socket PATH [--vectors N]
 * [--stats]`: the ivshmem server of QEMU guests (serve.h). Runs until
 * SIGTERM or SIGINT; every join, leave and error is one line on stderr.
 * --stats prints BENCH lines (server handling time per request) at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "server.h"

#define STATS_CAP (1u << 20)

static int serve_options(int argc, char **argv, struct serve *s)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			s->path = argv[++i];
		} else if (!strcmp(argv[i], "--vectors") && i + 1 < argc) {
			if (cli_number(argv[i], argv[i + 1], &s->vectors))
				return CLI_EUSAGE;
			i++;
			if (s->vectors < 1 || s->vectors > SERVE_MAX_VECTORS)
				return cli_usage("serve: --vectors 1..%u", SERVE_MAX_VECTORS);
		} else if (!strcmp(argv[i], "--stats")) {
			s->stats_on = true;
		} else {
			return cli_usage("serve: unknown option '%s'", argv[i]);
		}
	}
	if (!s->path)
		return cli_usage("serve: --socket PATH is required");
	return 0;
}

/* A socket file nobody answers on is a leftover; a live one is refused. */
static int serve_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "labyrinth: serve: socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "labyrinth: serve: %s is served already\n", path);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		fprintf(stderr, "labyrinth: serve: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
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

int cmd_serve(int argc, char **argv)
{
	struct serve s = { .name = argv[1], .vectors = 1, .next_id = 1 };
	struct labyrinth *lab;
	int err = serve_options(argc, argv, &s);

	if (err)
		return err;
	err = lab_open(s.name, &lab);	/* refuse at once, not per peer */
	if (err)
		return cli_fail("serve", s.name, err);
	lab_detach(lab);
	if (s.stats_on) {
		s.stats.cap = STATS_CAP;
		s.stats.claim1_ns = calloc(STATS_CAP, sizeof(uint64_t));
		s.stats.release1_ns = calloc(STATS_CAP, sizeof(uint64_t));
		if (!s.stats.claim1_ns || !s.stats.release1_ns)
			return CLI_ESYS;
	}
	s.sig = signals();
	if (s.sig < 0)
		return CLI_ESYS;
	s.listen = serve_listen(s.path);
	if (s.listen < 0)
		return CLI_ESYS;
	serve_log("serving labyrinth '%s' on %s (peer id %u, %u vector%s per peer)", s.name,
		  s.path, SERVE_SERVER_ID, s.vectors, s.vectors == 1 ? "" : "s");
	err = serve_run(&s);
	close(s.listen);
	unlink(s.path);
	serve_log("stopped after %lu requests", (unsigned long)s.stats.requests);
	if (s.stats_on) {
		bench_line("ivshmem.handle.claim1", s.stats.claim1_ns, s.stats.n_claim1, s.stats.cap);
		bench_line("ivshmem.handle.release1", s.stats.release1_ns, s.stats.n_release1,
			   s.stats.cap);
		fflush(stdout);
	}
	free(s.stats.claim1_ns);
	free(s.stats.release1_ns);
	return err ? CLI_ESYS : CLI_OK;
}
