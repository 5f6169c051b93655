/* End to end: guests claim rooms through the hypercall; the host checks the
 * promises from outside — exclusive owners, scrubbed rooms, caught touches,
 * every bad request answered, nothing lost when a guest dies. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_status.h"
#include "labyrinth_device.h"
#include "labyrinth_host.h"
#include "test_spawn.h"
#include "test_wait.h"

static struct run_result r;
static char tlab_name[64];

static void run_vmm(const char *image, const char *const *opts, double limit)
{
	char *argv[16] = {(char *)env_path("VMM")};
	unsigned n = 1;
	for (; opts && *opts && n < 14; opts++)
		argv[n++] = (char *)*opts;
	argv[n++] = (char *)image_path(image);
	argv[n] = NULL;
	cr_assert_eq(run_cmd(argv, limit, &r), 0);
	cr_assert(!r.timed_out, "%s did not end; stdout: %s", image, r.out);
}

static void assert_suite_passed(void)
{
	cr_assert_eq(r.status, 0, "status %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "SUMMARY:"), "no SUMMARY line: %s", r.out);
	cr_assert(!strstr(r.out, "FAIL:"), "a FAIL line: %s", r.out);
}

/* A fresh named labyrinth per test, destroyed at the end. */
static void tlab_create(uint32_t rooms, uint32_t reserve)
{
	struct lab_geometry geo = {.rooms = rooms, .corridors = 1, .reserve = reserve};
	snprintf(tlab_name, sizeof(tlab_name), "test-hc-%d", getpid());
	lab_destroy(tlab_name);
	cr_assert_eq(lab_create(tlab_name, &geo), 0);
}

/* Every test ends with the auditor: the promises hold on what it left. */
static void tlab_destroy(void)
{
	if (tlab_name[0]) {
		char *argv[] = {(char *)env_path("LABYRINTH"), "check", tlab_name, NULL};
		struct run_result c;

		cr_expect_eq(run_cmd(argv, 60, &c), 0);
		cr_expect_eq(c.status, 0, "labyrinth check: %s%s", c.out, c.err);
		lab_destroy(tlab_name);
	}
	tlab_name[0] = 0;
}

/* Free rooms as the labyrinth counts them (after reaping the dead). */
static uint32_t tlab_free(void)
{
	struct labyrinth *m;
	struct lab_census c;
	cr_assert_eq(lab_open(tlab_name, &m), 0);
	lab_reap(m);
	lab_census(m, &c);
	lab_detach(m);
	return c.free;
}

TestSuite(hc, .fini = tlab_destroy);

Test(hc, claim_write_read_release)
{
	run_vmm("hc-basic.elf", NULL, 60);
	assert_suite_passed();
	cr_expect_null(strstr(r.err, "BENCH "), "figures without --hc-stats: %s", r.err);
}

/* --hc-stats: at exit, each figure of the calls the guest made is one
 * `BENCH name value ns` line on stderr (what the benchmarks parse). */
Test(hc, hc_stats_prints_one_bench_line_per_figure)
{
	static const char *const names[] = {"vmm.handle.claim1", "vmm.handle.claim64.per_room",
					    "vmm.handle.release64.per_room"};
	const char *opts[] = {"--hc-stats", NULL};

	run_vmm("hc-basic.elf", opts, 60);
	assert_suite_passed();
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[96];
		const char *at;
		unsigned long v;

		snprintf(want, sizeof(want), "BENCH %s ", names[i]);
		at = strstr(r.err, want);
		cr_assert(at, "no '%s' line: %s", want, r.err);
		cr_expect_eq(sscanf(at + strlen(want), "%lu ns\n", &v), 1, "%s", at);
		cr_expect_gt(v, 0, "%s", at);
	}
	for (const char *l = r.err; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		cr_expect(!strncmp(l, "BENCH ", 6), "a line that is not a figure: %.80s", l);
}

/* The address the guest says it touches must be the one the VMM reports,
 * from guest kernel mode and user mode alike (mode "... user"). */
static void assert_touch_caught(const char *mode)
{
	const char *opts[] = {"--cmdline", mode, "--timeout", "30", NULL};
	char want[64], *at;
	run_vmm("hc-basic.elf", opts, 60);
	cr_assert_eq(r.status, VMM_EXIT_WINDOW_FAULT, "status %d\nstdout: %s\nstderr: %s",
		     r.status, r.out, r.err);
	at = strstr(r.out, "touching ");
	at = at ? strstr(at, "0x") : NULL;
	cr_assert(at, "guest did not say what it touched: %s", r.out);
	snprintf(want, sizeof(want), "address 0x%llx", strtoull(at, NULL, 16));
	cr_assert(strstr(r.err, want), "stderr lacks '%s': %s", want, r.err);
	cr_assert(strstr(r.err, "vCPU 0") && strstr(r.err, "guest "), "%s", r.err);
}

Test(hc, released_room_is_unreachable) { assert_touch_caught("touch-released"); }
Test(hc, unclaimed_room_is_unreachable) { assert_touch_caught("touch-unclaimed"); }
Test(hc, released_room_is_unreachable_from_user_mode) { assert_touch_caught("touch-released user"); }
Test(hc, unclaimed_room_is_unreachable_from_user_mode) { assert_touch_caught("touch-unclaimed user"); }

Test(hc, bad_requests_get_their_errors)
{
	run_vmm("hc-bad.elf", NULL, 60);
	assert_suite_passed();
}

Test(hc, releasing_another_guests_room_is_eperm)
{
	struct labyrinth *holder;
	struct lab_cursor cur;
	uint32_t room, district, districts[3];
	char gpa[96];

	tlab_create(2048, 0);
	cr_assert_eq(lab_attach(tlab_name, &holder), 0);
	lab_cursor_init(&cur, holder, 7);
	cr_assert_eq(lab_claim(&cur, LAB_GFP_NORMAL, 0, 1, &room), 1);
	/* The first of the whole districts: hc-bad wants the window's last
	 * room free (its batch with one unclaimed room). */
	cr_assert_eq(lab_claim_districts(&cur, LAB_GFP_NORMAL, 0, 3, districts, NULL), 3);
	district = districts[0] < districts[1] ? districts[0] : districts[1];
	district = district < districts[2] ? district : districts[2];
	for (int i = 0; i < 3; i++)
		if (districts[i] != district)
			cr_assert_eq(lab_release_districts(&cur, &districts[i], 1), 0);
	snprintf(gpa, sizeof(gpa), "foreign=0x%llx foreign_district=0x%llx",
		 (unsigned long long)(LABDEV_WINDOW_GPA + (uint64_t)room * LAB_ROOM_SIZE),
		 (unsigned long long)(LABDEV_WINDOW_GPA + (uint64_t)district * LAB_HC_DISTRICT_SIZE));
	const char *opts[] = {"--labyrinth", tlab_name, "--cmdline", gpa, NULL};
	run_vmm("hc-bad.elf", opts, 60);
	assert_suite_passed();
	cr_assert(strstr(r.out, "PASS: RELEASE of another owner's room (foreign)"), "no EPERM case ran: %s", r.out);
	cr_assert(strstr(r.out, "PASS: RELEASE_DISTRICT of another guest's district"),
		  "no district EPERM case ran: %s", r.out);
	cr_assert_eq(lab_room_owner(holder, room), lab_owner(lab_guest_id(holder), 7),
		     "the foreign release changed the owner");
	cr_assert_eq(lab_district_whole_of(holder, district), lab_guest_id(holder),
		     "the foreign district release changed it");
	lab_detach(holder);
	cr_assert_eq(tlab_free(), 2048);
}

/* The same with each way of scrubbing: the background scrubber (the
 * default), zeroing inside the release (LABYRINTH_SCRUB=release), and no
 * scrubber at all (=off: the reader's claims zero what they take). */
Test(hc, released_rooms_are_scrubbed_before_another_guest_gets_them)
{
	static const char *const modes[] = {NULL, "release", "off"};

	tlab_create(1024, 32);
	const char *w[] = {"--labyrinth", tlab_name, "--cmdline", "write", NULL};
	const char *rd[] = {"--labyrinth", tlab_name, "--cmdline", "read", NULL};
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (modes[i])
			setenv("LABYRINTH_SCRUB", modes[i], 1);
		else
			unsetenv("LABYRINTH_SCRUB");
		run_vmm("hc-secret.elf", w, 60);
		cr_assert_eq(r.status, 0, "writer: %d %s %s", r.status, r.out, r.err);
		cr_assert(strstr(r.out, "wrote 1024 rooms"), "the writer must fill every room: %s",
			  r.out);
		run_vmm("hc-secret.elf", rd, 60);
		cr_assert_eq(r.status, 0, "reader: %d %s %s", r.status, r.out, r.err);
		cr_assert(strstr(r.out, "read 1024 rooms, dirty=0"), "LABYRINTH_SCRUB=%s: %s",
			  modes[i] ? modes[i] : "(unset)", r.out);
		cr_assert_eq(tlab_free(), 1024);
	}
	unsetenv("LABYRINTH_SCRUB");
}

/* Owner records against the rooms' contents, sampled from the host while
 * guests run: a room owned by guest g holds g's marker or nothing yet. */
static unsigned sample_owners(struct labyrinth *m)
{
	const uint64_t *pool = lab_pool(m);
	unsigned bad = 0;
	for (uint32_t i = 0; i < lab_rooms(m); i++) {
		uint32_t before = lab_room_owner(m, i);
		if (!before)
			continue;
		const volatile uint64_t *marker = pool + (uint64_t)i * (LAB_ROOM_SIZE / 8);
		uint64_t guest = marker[0], gpa = marker[1];
		if (lab_room_owner(m, i) != before)
			continue;	/* changed hands meanwhile: no verdict */
		if (guest == 0 && gpa == 0)
			continue;
		if (guest != lab_owner_guest(before) ||
		    (gpa && gpa != LABDEV_WINDOW_GPA + (uint64_t)i * LAB_ROOM_SIZE))
			bad++;
	}
	return bad;
}

/* An hc-share guest in the background, its console into @out (an
 * unlinked temporary file: what a failure said, for the message), or
 * nowhere with NULL. */
static pid_t spawn_share(const char *secs, FILE **out)
{
	/* Paths are looked up before the fork: the child only execs. */
	char *argv[] = {(char *)env_path("VMM"), "--labyrinth", tlab_name, "--cpus", "2",
			"--timeout", "60", "--cmdline", (char *)secs,
			strdup(image_path("hc-share.elf")), NULL};
	FILE *to = out ? (*out = tmpfile()) : fopen("/dev/null", "w");
	pid_t pid;

	cr_assert(to);
	pid = spawn_to(argv, fileno(to), -1);
	cr_assert(pid >= 0);
	if (!out)
		fclose(to);
	return pid;
}

/* The last line @out holds (or what little there is), for a message. */
static const char *last_line(FILE *out)
{
	static char line[2][256];
	static int turn;
	char *l = line[turn ^= 1];

	l[0] = 0;
	rewind(out);
	while (fgets(l, sizeof(line[0]), out) && !feof(out))
		;
	return l;
}

Test(hc, two_guests_share_one_labyrinth_exclusively)
{
	struct labyrinth *m;
	int st[2];
	unsigned samples = 0, bad = 0;

	tlab_create(2048, 16);
	FILE *out[2];
	pid_t a = spawn_share("secs=3", &out[0]), b = spawn_share("secs=3", &out[1]);
	cr_assert_eq(lab_open(tlab_name, &m), 0);
	/* The guests stop themselves (--timeout 60 at worst); so does this loop. */
	for (int done = 0; done < 2 && samples < 4000; samples++) {
		bad += sample_owners(m);
		done = (waitpid(a, &st[0], WNOHANG) == a) + (waitpid(b, &st[1], WNOHANG) == b);
		if (done == 1) {	/* collect the other one too */
			waitpid(a, &st[0], 0);
			waitpid(b, &st[1], 0);
			done = 2;
		}
		usleep(20000);
	}
	lab_detach(m);
	cr_assert_lt(samples, 4000, "the guests did not end");
	cr_assert(WIFEXITED(st[0]) && WEXITSTATUS(st[0]) == 0, "guest A failed: %x: %s", st[0],
		  last_line(out[0]));
	cr_assert(WIFEXITED(st[1]) && WEXITSTATUS(st[1]) == 0, "guest B failed: %x: %s", st[1],
		  last_line(out[1]));
	fclose(out[0]);
	fclose(out[1]);
	cr_assert_eq(bad, 0, "%u rooms held foreign markers over %u samples", bad, samples);
	cr_assert_gt(samples, 10);
	cr_assert_eq(tlab_free(), 2048);
}

static uint32_t claimed(struct labyrinth *m)
{
	struct lab_census c;

	lab_census(m, &c);
	return c.claimed;
}

/* Waits (bounded) until some guest holds rooms in `m`. */
static void wait_for_claims(struct labyrinth *m)
{
	cr_assert(WAIT_UNTIL(claimed(m) > 0, 4000), "the guest never claimed a room");
}

Test(hc, killed_guest_loses_nothing_after_reap)
{
	struct labyrinth *m;
	struct lab_census c;

	tlab_create(2048, 16);
	pid_t a = spawn_share("secs=30", NULL);
	cr_assert_eq(lab_open(tlab_name, &m), 0);
	wait_for_claims(m);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	cr_assert_gt(lab_reap(m), 0, "reap recovered nothing");
	lab_census(m, &c);
	lab_detach(m);
	cr_assert_eq(c.free, 2048, "free %u after reap", c.free);
}

Test(hc, exclusive_variant_panics_with_the_seed_message)
{
	const char *opts[] = {"--rooms", "512", NULL};
	run_vmm("panic.elf", opts, 60);
	cr_assert_eq(r.status, VMM_EXIT_GUEST_PANIC, "status %d\n%s\n%s", r.status, r.out, r.err);
	cr_assert(strstr(r.err, "Sorry, the labyrinth has no exit"), "stderr: %s", r.err);
}

/* GFP_ATOMIC: all four districts, the reserve's included, then the panic. */
Test(hc, exclusive_district_panics_with_the_seed_message)
{
	const char *opts[] = {"--rooms", "2048", "--cmdline", "what=district", NULL};
	run_vmm("panic.elf", opts, 60);
	cr_assert_eq(r.status, VMM_EXIT_GUEST_PANIC, "status %d\n%s\n%s", r.status, r.out, r.err);
	cr_assert(strstr(r.err, "Sorry, the labyrinth has no exit"), "stderr: %s", r.err);
	cr_assert(strstr(r.out, "panic: 4 districts allocated"), "stdout: %s", r.out);
	cr_assert_null(strstr(r.out, "panic: 5 districts"), "stdout: %s", r.out);
}

/* A guest's panic message with a newline, a carriage return and a terminal
 * escape: still one line on stderr, and no escape (the guest printed a
 * "vmm: ..." line of its own, and cleared the operator's screen). */
Test(hc, panic_message_stays_one_printable_line)
{
	const char *opts[] = {"--cmdline", "mode=panic-lines", NULL};
	run_vmm("vmm-hostile.elf", opts, 60);
	cr_assert_eq(r.status, VMM_EXIT_GUEST_PANIC, "status %d\n%s\n%s", r.status, r.out, r.err);
	cr_assert_eq(count_lines(r.err), 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "panicked: first?vmm: a line the guest wrote?[2J?"), "stderr: %s",
		  r.err);
	cr_assert_null(strchr(r.err, '\x1b'), "an escape reached stderr");
	cr_assert_null(strchr(r.err, '\r'), "a carriage return reached stderr");
}

Test(hc, sigterm_returns_every_room_without_a_reap)
{
	struct labyrinth *m;
	struct lab_census c;
	int st;

	tlab_create(2048, 16);
	pid_t a = spawn_share("secs=30", NULL);
	cr_assert_eq(lab_open(tlab_name, &m), 0);
	wait_for_claims(m);
	kill(a, SIGTERM);
	waitpid(a, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %x", st);
	lab_census(m, &c);
	lab_detach(m);
	cr_assert_eq(c.free, 2048, "free %u after SIGTERM, before any reap", c.free);
}
