/*
 * Benchmark of `labyrinth serve`, natively: a fake QEMU peer (fake_peer.c)
 * rings the server's eventfd as KVM's ioeventfd would and waits for its
 * vector eventfd, ROUNDS times CLAIM 1 + RELEASE 1. The server's own
 * handling time (doorbell eventfd seen -> reply eventfd written) comes from
 * `serve --stats` at exit: BENCH fake_peer.ivshmem.handle.claim1 (the run
 * with a real QEMU guest, bench_guest.sh, prints ivshmem.handle.claim1
 * beside the VMM's vmm.handle.claim1). The round trip here is BENCH
 * ivshmem.native.claim1.
 *
 * Then a peer's join (connect to the lent memory in hand, medians of
 * JOINS) on a pool of 2^14 and of 2^18 rooms: BENCH ivshmem.join.r14,
 * .r18 and r18_over_r14, which stays near 1 when a join costs the same
 * whatever the pool's size.
 *   bench_serve LABYRINTH
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_peer.h"
#include "labyrinth_host.h"
#include "test_clock.h"
#include "test_proc.h"
#include "test_wait.h"

#define ROUNDS 20000

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#define JOINS 5

/* `labyrinth serve`, once it listens (or 30 s have passed: the peer's
 * connect then says what went wrong). */
static pid_t serve(const char *exe, const char *name, const char *path, bool quiet)
{
	char *argv[] = {(char *)exe, "serve", (char *)name, "--socket", (char *)path, "--stats",
			NULL};
	int null = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
	pid_t pid;

	if (quiet && null < 0)
		return -1;
	pid = spawn_to(argv, -1, null);
	if (null >= 0)
		close(null);
	(void)WAIT_UNTIL(unix_listening(path), 30000);
	return pid;
}

/* The extent a peer left is back: every room free, no lease. */
static bool all_back(const char *name, uint32_t rooms)
{
	struct labyrinth *lab;
	struct lab_census c;
	struct lab_lease_info l[LAB_MAX_GUESTS];
	unsigned int leases;

	if (lab_open(name, &lab))
		return false;
	lab_census(lab, &c);
	leases = lab_leases(lab, l, LAB_MAX_GUESTS);
	lab_detach(lab);
	return c.free == rooms && !leases;
}

/* Median ns of a peer's join on a fresh labyrinth of @rooms; 0 if one
 * failed. */
static uint64_t join_ns(const char *exe, uint32_t rooms)
{
	struct lab_geometry geo = { .rooms = rooms, .corridors = 1 };
	uint64_t t[JOINS];
	char name[64], path[108];
	struct fake_peer fp;
	int n = 0;
	pid_t pid;

	snprintf(name, sizeof(name), "lvjoin.%d", getpid());
	snprintf(path, sizeof(path), "/tmp/lvjoin.%d.sock", getpid());
	lab_destroy(name);
	if (lab_create(name, &geo))
		return 0;
	pid = serve(exe, name, path, true);
	for (; n < JOINS; n++) {
		uint64_t t0 = (uint64_t)wall_ns();

		if (fp_connect(&fp, path, 10000))
			break;
		t[n] = (uint64_t)wall_ns() - t0;
		fp_close(&fp);
		if (!WAIT_UNTIL(all_back(name, rooms), 10000))
			break;
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	lab_destroy(name);
	if (n < JOINS)
		return 0;
	qsort(t, JOINS, sizeof(t[0]), cmp);
	return t[JOINS / 2];
}

static int joins(const char *exe)
{
	uint64_t small = join_ns(exe, 1u << 14), big = join_ns(exe, 1u << 18);

	if (!small || !big)
		return fprintf(stderr, "bench_serve: a join failed\n"), 1;
	printf("BENCH ivshmem.join.r14 %.2f ms\n", small / 1e6);
	printf("BENCH ivshmem.join.r18 %.2f ms\n", big / 1e6);
	printf("BENCH ivshmem.join.r18_over_r14 %.2f x\n", (double)big / (double)small);
	return 0;
}

int main(int argc, char **argv)
{
	struct lab_geometry geo = { .rooms = 16384, .corridors = 1 };
	static uint64_t t[ROUNDS];
	char name[64], path[108];
	struct fake_peer fp;
	int status, rc = 1;
	pid_t pid;

	if (argc != 2)
		return fprintf(stderr, "usage: bench_serve LABYRINTH\n"), 2;
	/* The real-QEMU run (bench_guest.sh) owns the untagged names. */
	setenv("LABYRINTH_BENCH_TAG", "fake_peer.", 1);
	snprintf(name, sizeof(name), "lvbench.%d", getpid());
	snprintf(path, sizeof(path), "/tmp/lvbench.%d.sock", getpid());
	lab_destroy(name);
	if (lab_create(name, &geo))
		return fprintf(stderr, "bench_serve: cannot create a labyrinth\n"), 1;
	pid = serve(argv[1], name, path, false);
	if (fp_connect(&fp, path, 2000) == 0) {
		struct lab_ivshmem_slot *sl = fp_slot(&fp, 0);
		uint32_t n = 0;

		for (uint32_t i = 0; i < ROUNDS; i++) {
			uint64_t t0 = (uint64_t)wall_ns();
			if (fp_simple(&fp, LAB_HC_CLAIM, 0, 1) != 1)
				break;
			t[n++] = (uint64_t)wall_ns() - t0;
			if (fp_simple(&fp, LAB_HC_RELEASE, 0, 1) != LAB_HC_OK)
				break;
			(void)sl;
		}
		qsort(t, n, sizeof(t[0]), cmp);
		if (n == ROUNDS) {
			printf("BENCH ivshmem.native.claim1 %lu ns\n", (unsigned long)t[n / 2]);
			rc = 0;
		} else {
			fprintf(stderr, "bench_serve: stopped after %u rounds\n", n);
		}
		fflush(stdout);
		fp_close(&fp);
	}
	kill(pid, SIGTERM);	/* the server prints its BENCH lines at exit */
	waitpid(pid, &status, 0);
	lab_destroy(name);
	fflush(stdout);
	rc |= joins(argv[1]);
	return rc || !WIFEXITED(status) || WEXITSTATUS(status);
}
