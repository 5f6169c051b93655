// SPDX-License-Identifier: MIT
/*
 * test_audit.c - `labyrinth check` against a labyrinth whose promises were
 * broken on purpose, one promise at a time, by a trusted process (this
 * test maps the pool and the metadata as monitors do): a free room that is
 * not zero, a free room and another guest's room reachable in a published
 * window, rooms and a district of a guest whose lease is gone, a room
 * claimed by nobody, a pool district held as lent, the pool's copy of a
 * lent extent written through an old mapping; and what a borrower keeps
 * once its extent is back (nothing of the pool's).  Each is status 1 and
 * exactly one violation line naming the room (and --json says the same),
 * and once the damage is undone check is ok again: the auditor is the
 * suite's witness everywhere else, and none of its findings was ever seen
 * by a test.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slot.h"
#include "handle.h"
#include "host.h"
#include "labyrinth_extent.h"
#include "labyrinth_host.h"
#include "nb.h"
#include "test_hooks.h"
#include "test_wait.h"

#define ROOMS 2048u		/* four extents of one district */

static char name[64], out[16384];

static void setup(void)
{
	char args[128];

	snprintf(name, sizeof(name), "cov-audit-%d", getpid());
	lab_destroy(name);
	snprintf(args, sizeof(args), "create %s --rooms %u --extent 2M", name, ROOMS);
	cr_assert_eq(sh_out(out, sizeof(out), "%s %s", env_path("LABYRINTH_BIN"), args), 0, "%s",
		     out);
}

static void teardown(void)
{
	lab_destroy(name);
}

static int check(const char *opts)
{
	return sh_out(out, sizeof(out), "%s check %s %s", env_path("LABYRINTH_BIN"), name, opts);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* Status 1, one violation line (the one wanted) and the VIOLATED summary;
 * --json the same finding, one line. */
static void violated(const char *kind, const char *detail, uint32_t room)
{
	char want[96];

	cr_assert_eq(check(""), 1, "%s", out);
	cr_expect_eq(count(out, "violation: "), 1, "%s", out);
	snprintf(want, sizeof(want), "violation: %s: ", kind);
	cr_expect(strstr(out, want), "%s", out);
	cr_expect(strstr(out, detail), "wanted '%s': %s", detail, out);
	cr_expect(strstr(out, ": VIOLATED ("), "%s", out);
	cr_expect_eq(count(out, "\n"), 2, "%s", out);
	cr_assert_eq(check("--json"), 1, "%s", out);
	cr_expect_eq(count(out, "\n"), 1, "%s", out);
	snprintf(want, sizeof(want), "{\"kind\":\"%s\",\"room\":%u,", kind, room);
	cr_expect(strstr(out, want), "wanted %s: %s", want, out);
	cr_expect(strstr(out, "\"ok\":false"), "%s", out);
	cr_expect_eq(count(out, "\"kind\""), 1, "%s", out);
}

static void ok(void)
{
	cr_assert_eq(check(""), 0, "%s", out);
	cr_expect(strstr(out, ": ok ("), "%s", out);
	cr_expect_eq(count(out, "violation"), 0, "%s", out);
}

/* A free room someone wrote to (a release that skipped the scrub). */
Test(audit, a_free_room_not_zero, .init = setup, .fini = teardown)
{
	struct labyrinth *lab;
	char detail[64];
	volatile uint8_t *room;

	ok();
	cr_assert_eq(lab_open(name, &lab), 0);
	room = (volatile uint8_t *)lab->pool + 1234 * LAB_ROOM_SIZE;
	room[100] = 0x5a;
	snprintf(detail, sizeof(detail), "room 1234 is free but not zero (byte 96)");
	violated("dirty_free_room", detail, 1234);
	room[100] = 0;
	ok();
	lab_detach(lab);
}

/* Room @r present in the window, alone: a write fault (a read would map
 * its neighbours too, the kernel's fault-around), changing nothing. */
static void present(volatile uint8_t *win, uint32_t r)
{
	cr_assert_eq(madvise((void *)(win + (size_t)r * LAB_ROOM_SIZE), LAB_ROOM_SIZE,
			     MADV_POPULATE_WRITE), 0, "%s", strerror(errno));
}

/* A monitor's window (the pool's extents side by side, room i at
 * va + i * 4096): only its guest's rooms may be present there. */
Test(audit, a_window_reaching_a_free_or_foreign_room, .init = setup, .fini = teardown)
{
	struct labyrinth *a, *b;
	struct lab_cursor cur;
	char detail[160];
	uint32_t r, f;
	volatile uint8_t *win;
	size_t len = (size_t)ROOMS * LAB_ROOM_SIZE, ext = len / 4;

	cr_assert_eq(lab_attach(name, &a), 0);
	cr_assert_eq(lab_attach(name, &b), 0);
	lab_cursor_init(&cur, b, 0);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, &r), 1);
	lab_cursor_park(&cur);
	win = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(win, MAP_FAILED);
	for (uint32_t e = 0; e < 4; e++)
		cr_assert_neq(mmap((void *)(win + e * ext), ext, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				   lab_extent_fd(a, e), 0), MAP_FAILED);
	lab_publish_window(a, (const void *)win, len);
	ok();
	/* a free room present in it */
	f = (r + 1) % ROOMS;
	present(win, f);
	snprintf(detail, sizeof(detail), "room %u is reachable in guest %u's window (pid %d) "
		 "but free", f, a->guest, getpid());
	violated("foreign_reachable", detail, f);
	cr_assert_eq(madvise((void *)win, len, MADV_DONTNEED), 0);
	ok();
	/* another guest's room present in it */
	present(win, r);
	snprintf(detail, sizeof(detail), "room %u is reachable in guest %u's window (pid %d) "
		 "but owned by another guest", r, a->guest, getpid());
	violated("foreign_reachable", detail, r);
	munmap((void *)win, len);
	ok();
	lab_detach(b);
	lab_detach(a);
}

/* Rooms, then a district, that name a guest whose slot was freed without
 * the reaper (what a reaper that lost them would leave). */
Test(audit, rooms_and_a_district_of_no_lease, .init = setup, .fini = teardown)
{
	struct labyrinth *lab;
	struct lab_cursor cur;
	char detail[160];
	uint32_t r, g;
	uint64_t word;

	cr_assert_eq(lab_attach(name, &lab), 0);
	g = lab->guest;
	lab_cursor_init(&cur, lab, 3);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, &r), 1);
	lab_cursor_park(&cur);
	word = lab_slot_word(lab, g);
	lab_slot_clear(lab, g);
	snprintf(detail, sizeof(detail), "room %u is claimed by owner 0x%x, whose guest holds "
		 "no lease", r, lab_owner(g, 3));
	violated("leaked_room", detail, r);
	lab_slot_fill(lab, g, word);
	ok();
	cr_assert_eq(lab_release(&cur, &r, 1), 0);
	/* a district held by a cursor of the guest, then the slot freed
	 * (parked first: a claim out of the rooms it kept holds none) */
	lab_cursor_park(&cur);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, &r), 1);
	cr_assert_eq(lab_release(&cur, &r, 1), 0);
	cr_assert_eq(lab_district_holder(lab, r / LAB_DISTRICT_ROOMS), g);
	lab_slot_clear(lab, g);
	snprintf(detail, sizeof(detail), "district %u is held by guest %u, which holds no lease",
		 r / LAB_DISTRICT_ROOMS, g);
	violated("leaked_district", detail, r / LAB_DISTRICT_ROOMS * LAB_DISTRICT_ROOMS);
	lab_slot_fill(lab, g, word);
	lab_cursor_park(&cur);
	ok();
	lab_detach(lab);
}

/* A district claimed whole is no breach while its lease lives; with the
 * lease gone, its rooms are named as leaked. */
Test(audit, a_district_claimed_whole, .init = setup, .fini = teardown)
{
	struct labyrinth *lab;
	struct lab_cursor cur;
	char detail[160];
	uint32_t d, g;
	uint64_t word;

	cr_assert_eq(lab_attach(name, &lab), 0);
	g = lab->guest;
	lab_cursor_init(&cur, lab, 5);
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 1, &d, NULL), 1);
	ok();
	word = lab_slot_word(lab, g);
	lab_slot_clear(lab, g);
	/* 512 rooms and the district: more lines than the buffer keeps, so
	 * the first room stands for them. */
	cr_assert_eq(check(""), 1, "%s", out);
	snprintf(detail, sizeof(detail), "room %u is claimed by owner 0x%x, whose guest holds "
		 "no lease", d * LAB_DISTRICT_ROOMS, lab_owner(g, 5));
	cr_expect(strstr(out, detail), "wanted '%s': %s", detail, out);
	lab_slot_fill(lab, g, word);
	ok();
	cr_assert_eq(lab_release_districts(&cur, &d, 1), 0);
	lab_cursor_park(&cur);
	lab_detach(lab);
	ok();
}

/* A room whose map bit is set over owner word 0: claimed by nobody, so
 * no reaper of any lease will free it (a claim always writes its owner
 * first: only a lost one looks like this). */
Test(audit, a_room_claimed_by_nobody, .init = setup, .fini = teardown)
{
	struct labyrinth *lab;
	_Atomic uint64_t *word;
	uint64_t bit = 1ull << (777 % 64);

	cr_assert_eq(lab_open(name, &lab), 0);
	word = &hall_map(lab->hall, 777 / LAB_DISTRICT_ROOMS)[777 % LAB_DISTRICT_ROOMS / 64];
	atomic_fetch_or(word, bit);
	violated("leaked_room", "room 777 is claimed by nobody (its map bit set, owner word 0)",
		 777);
	atomic_fetch_and(word, ~bit);
	ok();
	lab_detach(lab);
}

/* A pool extent's district held with the lent mark for a live lease (a
 * return that forgot its districts): monitors never claim there again
 * while that lease lives. */
Test(audit, a_pool_district_held_as_lent, .init = setup, .fini = teardown)
{
	struct labyrinth *lab;
	char detail[96];
	uint32_t d = 2;

	cr_assert_eq(lab_attach(name, &lab), 0);
	cr_assert_eq(lab_extent_state(lab, d), LAB_EXTENT_POOL);
	atomic_store(hall_holder(lab->hall, d), (uint16_t)(LAB_HOLDER_LENT | (lab->guest + 1)));
	snprintf(detail, sizeof(detail), "district %u of extent %u is the monitors' but held "
		 "as lent to guest %u", d, d, lab->guest);
	violated("extent_breach", detail, d * LAB_DISTRICT_ROOMS);
	atomic_store(hall_holder(lab->hall, d), (uint16_t)0);
	ok();
	lab_detach(lab);
}

/* Claims every room it can (GFP_ATOMIC: the reserve too), then gives them
 * back scrubbed: how many there were. */
static uint32_t claimable(struct labyrinth *lab)
{
	static uint32_t rooms[ROOMS];
	struct lab_cursor cur;
	uint32_t n, got = 0;

	lab_cursor_init(&cur, lab, 7);
	while (got < ROOMS &&
	       (n = lab_claim(&cur, LAB_GFP_ATOMIC, 0, ROOMS - got < LAB_HC_BATCH_MAX ?
			      ROOMS - got : LAB_HC_BATCH_MAX, rooms + got)) > 0)
		got += n;
	for (uint32_t i = 0; i < got; i += LAB_HC_BATCH_MAX)
		cr_assert_eq(lab_release(&cur, rooms + i, got - i < LAB_HC_BATCH_MAX ? got - i :
					 LAB_HC_BATCH_MAX), 0);
	while (lab_scrub(&cur, 512))
		;
	lab_cursor_park(&cur);
	return got;
}

static bool pool_holds_pages(struct labyrinth *lab, uint32_t k)
{
	return lseek(lab_extent_fd(lab, k), 0, SEEK_DATA) >= 0;
}

/* A process that opened the pool's extent file, locked it and mapped it
 * (what a QEMU was once sent): none of it stops a lend, and what it
 * writes there while the extent is lent is the finding, from the
 * kernel's page cache, whatever it did with its locks. */
Test(audit, the_pool_copy_of_a_lent_extent_reached, .init = setup, .fini = teardown)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	size_t len = (size_t)ROOMS / 4 * LAB_ROOM_SIZE;
	struct labyrinth *lab;
	char path[128], detail[160];
	volatile uint8_t *old;
	uint32_t k;
	int fd, sent;

	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s+0", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), 0);
	old = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(old, MAP_FAILED);
	cr_assert_eq(lab_attach(name, &lab), 0);
	cr_assert_eq(lab_extent_lend(lab, &k, &sent), 0);
	cr_expect_eq(k, 0, "a lock on the pool's file kept extent 0 from being lent");
	cr_expect_not(pool_holds_pages(lab, k), "a lent extent's pool pages are still there");
	ok();
	old[5 * LAB_ROOM_SIZE] = 0x5a;
	snprintf(detail, sizeof(detail), "extent 0 is lent to guest %u but its pool file holds "
		 "pages", lab->guest);
	violated("extent_breach", detail, 0);
	close(sent);
	cr_assert_eq(lab_extent_return(lab, k), 0);
	cr_expect_eq(old[5 * LAB_ROOM_SIZE], 0, "what was written there survived the return");
	ok();
	munmap((void *)old, len);
	close(fd);
	lab_detach(lab);
}

/* An extent coming back has its pool file filled again before it is the
 * pool's (seconds for a large one): pages there while it is returning
 * are that refill, not a breach; while it is lent, they are one. */
Test(audit, a_returning_extents_refill_is_no_breach, .init = setup, .fini = teardown)
{
	static const char zero[LAB_ROOM_SIZE];
	size_t len = (size_t)ROOMS / 4 * LAB_ROOM_SIZE;
	struct labyrinth *lab;
	char path[128];
	uint32_t k;
	int fd, sent;

	cr_assert_eq(lab_attach(name, &lab), 0);
	cr_assert_eq(lab_extent_lend(lab, &k, &sent), 0);
	lab_extent_leaving(lab, k);
	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s+%u", name, k);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	for (size_t at = 0; at < len; at += 64 * LAB_ROOM_SIZE)	/* as the refill's pages */
		cr_assert_eq(pwrite(fd, zero, sizeof(zero), (off_t)at), (ssize_t)sizeof(zero));
	cr_expect(pool_holds_pages(lab, k));
	ok();
	close(sent);
	cr_assert_eq(lab_extent_return(lab, k), 0);
	ok();
	close(fd);
	lab_detach(lab);
}

/* A borrower's memory: sealed against resizing; while it maps it, the
 * lender does not take the extent back, whatever became of the fd (the
 * kernel's count of the memfd's descriptions, not the borrower's word);
 * once it unmapped, at once. */
Test(audit, a_borrower_is_waited_for_by_the_kernels_count, .init = setup, .fini = teardown)
{
	size_t len = (size_t)ROOMS / 4 * LAB_ROOM_SIZE;
	struct labyrinth *lab;
	struct stat st;
	void *mine;
	uint32_t k;
	int fd;

	cr_assert_eq(lab_attach(name, &lab), 0);
	cr_assert_eq(lab_extent_lend(lab, &k, &fd), 0);
	cr_assert_eq(fstat(fd, &st), 0);
	cr_expect_eq((size_t)st.st_size, len);
	cr_expect_neq(ftruncate(fd, len / 2), 0, "the borrower shrank its extent");
	cr_expect_neq(ftruncate(fd, len * 2), 0, "the borrower grew its extent");
	mine = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(mine, MAP_FAILED);
	close(fd);
	cr_expect_eq(lab_extent_return(lab, k), LAB_EBUSY, "taken back under a mapping");
	munmap(mine, len);
	cr_expect_eq(lab_extent_return(lab, k), 0, "unmapped: not taken back");
	ok();
	lab_detach(lab);
}

/* What a borrower holds once its extent is back anyway (its lender died:
 * a reaper, with no memfd to ask, takes it back at once): memory of its
 * own; the rooms monitors claim there next are zero and none of its
 * writes, before or after. */
Test(audit, a_borrower_keeps_nothing_of_the_pool, .init = setup, .fini = teardown)
{
	size_t len = (size_t)ROOMS / 4 * LAB_ROOM_SIZE;
	struct labyrinth *lab, *reaper, *mon;
	struct lab_census c;
	volatile uint8_t *mine;
	uint32_t k;
	int fd;

	cr_assert_eq(lab_attach(name, &lab), 0);
	cr_assert_eq(lab_extent_lend(lab, &k, &fd), 0);
	fchmod(fd, 0666);
	mine = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(mine, MAP_FAILED);
	close(fd);
	memset((void *)mine, 0x77, len);
	cr_expect_eq(lab->pool[(size_t)k * len + 99], 0x77, "the lender does not see the guest");
	cr_assert_eq(lab_open(name, &reaper), 0);
	cr_assert_eq(lab_extent_return(reaper, k), 0, "a reaper waited for the borrower");
	for (size_t i = 0; i < len; i += LAB_ROOM_SIZE / 2)
		cr_assert_eq(reaper->pool[(size_t)k * len + i], 0, "byte %zu of the pool's extent", i);
	cr_assert_eq(lab_attach(name, &mon), 0);
	cr_expect_eq(claimable(mon), ROOMS, "rooms lost");
	lab_detach(mon);
	memset((void *)mine, 0x66, len);
	ok();		/* every free room zero: none of its writes reached them */
	lab_census(reaper, &c);
	cr_expect_eq(c.free, ROOMS);
	munmap((void *)mine, len);
	lab_detach(reaper);
	lab_detach(lab);
}

/* The child's pause holding extent 0's fill lock: says so on @fill_held,
 * goes on when @fill_go says so. */
static int fill_held[2], fill_go[2];
static int filled[4];

static void hold_fill(uint32_t k)
{
	char c = 0;

	if (k != 0)
		return;
	/* A parent gone (a failed assertion) is end of file: no orphan left
	 * holding the lock and the test's output open. */
	if (write(fill_held[1], &c, 1) != 1 || read(fill_go[0], &c, 1) != 1)
		_exit(2);
}

static void count_fill(uint32_t k)
{
	filled[k]++;
}

struct lend_call {
	struct labyrinth *lab;
	uint32_t k;
	int fd, err;
	atomic_bool done;
};

static void *lend_thread(void *arg)
{
	struct lend_call *c = arg;

	c->err = lab_extent_lend(c->lab, &c->k, &c->fd);
	atomic_store(&c->done, true);
	return NULL;
}

/* An attach filling the pool's copy of extent 0 (backing and populating
 * it: pages of the pool file) while a lend of extent 0 begins.  The lend waits for it,
 * so the pages it faulted in go when the lend empties the copy; an attach
 * that comes while the lend waits neither waits nor touches extent 0. */
Test(audit, a_lend_waits_for_an_attach_filling_its_extent, .init = setup, .fini = teardown)
{
	struct lend_call call = { .fd = -1 };
	struct labyrinth *late;
	pthread_t t;
	pid_t child;
	int status;
	char c = 0;

	cr_assert_eq(pipe(fill_held), 0);
	cr_assert_eq(pipe(fill_go), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct labyrinth *lab;

		close(fill_held[0]);
		close(fill_go[1]);
		lab_test_fill_pause = hold_fill;
		_exit(lab_open(name, &lab) ? 1 : 0);
	}
	close(fill_held[1]);
	close(fill_go[0]);
	cr_assert_eq(read(fill_held[0], &c, 1), 1, "the child never filled extent 0");
	cr_assert_eq(lab_attach(name, &call.lab), 0);
	cr_assert_eq(pthread_create(&t, NULL, lend_thread, &call), 0);
	cr_assert(WAIT_UNTIL(lab_district_lent_to(call.lab, 0) != LAB_NONE, 5000),
		  "the lend never took extent 0's district");
	lab_test_fill_pause = count_fill;
	cr_assert_eq(lab_open(name, &late), 0);
	lab_test_fill_pause = NULL;
	cr_expect_eq(filled[0], 0, "an attach filled extent 0 while its lend was under way");
	cr_expect_eq(filled[1], 1, "an attach did not fill extent 1");
	/* Half a second is ample for a lend of 2 MiB that does not wait; one
	 * that waits, as it must, is still waiting. */
	cr_expect_not(WAIT_UNTIL(atomic_load(&call.done), 500),
		      "the lend went on while an attach was filling its extent");
	cr_assert_eq(write(fill_go[1], &c, 1), 1);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the filling attach failed");
	pthread_join(t, NULL);
	cr_assert_eq(call.err, 0);
	cr_expect_eq(call.k, 0, "the lend went past the extent being filled");
	cr_expect_not(pool_holds_pages(call.lab, call.k),
		      "pages the attach faulted in outlived the lend");
	ok();
	close(call.fd);
	cr_assert_eq(lab_extent_return(call.lab, call.k), 0);
	ok();
	lab_detach(late);
	lab_detach(call.lab);
}
