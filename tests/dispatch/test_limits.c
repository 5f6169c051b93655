/* Fair sharing through the dispatcher: two guests (two leases of one named
 * labyrinth, each with its port transport and window), one greedy. A max
 * stops the greedy one (partial grant, then EDQUOT), a min keeps rooms for
 * the other whatever the greedy one does, limits change at run time, bad
 * limits are refused and change nothing, and a killed guest's guarantee
 * goes with its lease. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "two_transports.h"

#define ROOMS 4096u
#define RESERVE 64u
#define RAM_SIZE (1u << 20)
#define LIST_GPA 0x2000u

struct guest {
	struct labyrinth *lab;
	uint8_t *ram;
	struct doors window;
	struct port_guest hg;
	uint64_t held[ROOMS];
	unsigned nheld;
};

static char name[64];
static struct guest a, b;

static void attach(struct guest *g)
{
	memset(g, 0, sizeof(*g));
	g->ram = calloc(1, RAM_SIZE);
	cr_assert_eq(lab_attach(name, &g->lab), 0);
	cr_assert_eq(doors_init(&g->window, 4ull << 30, g->lab), 0);
	cr_assert_eq(port_guest_init(&g->hg, g->ram, RAM_SIZE, &g->window, g->lab, 1), 0);
}

static void detach(struct guest *g)
{
	if (!g->lab)
		return;
	lab_cursor_park(&g->hg.cpus[0].caller.cursor);
	doors_fini(&g->window);
	port_guest_fini(&g->hg);
	lab_detach(g->lab);
	free(g->ram);
	g->lab = NULL;
}

static void setup(void)
{
	struct lab_geometry geo = {.rooms = ROOMS, .corridors = 1, .reserve = RESERVE};

	snprintf(name, sizeof(name), "test-limits-%d", getpid());
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
	attach(&a);
	attach(&b);
}

static void teardown(void)
{
	detach(&a);
	detach(&b);
	lab_destroy(name);
}

static int64_t call(struct guest *g, uint32_t nr, uint32_t flags, uint32_t count)
{
	struct lab_hc hc = {.call = nr, .flags = flags, .count = count, .rooms_gpa = LIST_GPA};
	int64_t rc;

	memcpy(g->ram, &hc, sizeof(hc));
	rc = port_out(&g->hg, 0, 0);
	if (nr == LAB_HC_CLAIM && rc > 0) {
		memcpy(&g->held[g->nheld], g->ram + LIST_GPA, (size_t)rc * 8);
		g->nheld += (unsigned)rc;
	}
	return rc;
}

static int64_t claim(struct guest *g, uint32_t flags, uint32_t count)
{
	return call(g, LAB_HC_CLAIM, flags, count);
}

static int64_t release(struct guest *g, unsigned n)
{
	cr_assert_leq(n, g->nheld);
	g->nheld -= n;
	memcpy(g->ram + LIST_GPA, &g->held[g->nheld], n * 8);
	return call(g, LAB_HC_RELEASE, 0, n);
}

/* Claims in batches until refused; returns the last refusal. */
static int64_t claim_all(struct guest *g, uint32_t flags)
{
	int64_t rc;

	while ((rc = claim(g, flags, 512)) > 0)
		;
	return rc;
}

static uint32_t owned(struct guest *g)
{
	struct lab_census c;

	lab_census(g->lab, &c);
	return c.guest_rooms[lab_guest_id(g->lab)];
}

TestSuite(limits, .init = setup, .fini = teardown);

Test(limits, greedy_guest_stops_at_its_max)
{
	struct lab_limits l;

	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 1000, 0), 0);
	cr_assert_eq(claim(&a, 0, 512), 512);
	cr_assert_eq(claim(&a, 0, 512), 488, "a partial grant up to the max");
	cr_assert_eq(claim(&a, 0, 1), LAB_HC_EDQUOT);
	cr_assert_eq(claim(&a, LAB_HC_GFP_ATOMIC, 1), LAB_HC_EDQUOT, "GFP_ATOMIC too");
	cr_assert_eq(owned(&a), 1000);
	cr_assert_eq(claim_all(&b, 0), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&b), ROOMS - RESERVE - 1000, "the rest of the pool was untouched");
	cr_assert_eq(release(&a, 10), 0);
	cr_assert_eq(release(&b, 20), 0);
	cr_assert_eq(claim(&a, 0, 512), 10, "room under the max again");
	lab_cursor_park(&a.hg.cpus[0].caller.cursor);
	lab_caller_flush(&a.hg.cpus[0].caller);
	cr_assert_geq(lab_tally_limited(a.lab, lab_guest_id(a.lab)), 3);
	lab_limits_get(a.lab, lab_guest_id(a.lab), &l);
	cr_assert_eq(l.held, 1000);
	cr_assert_eq(l.max, 1000);
}

Test(limits, all_or_nothing_past_the_max_changes_nothing)
{
	struct lab_limits l;

	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 100, 0), 0);
	cr_assert_eq(claim(&a, 0, 90), 90);
	cr_assert_eq(claim(&a, LAB_HC_ALL_OR_NOTHING, 20), LAB_HC_EDQUOT);
	lab_limits_get(a.lab, lab_guest_id(a.lab), &l);
	cr_assert_eq(l.held, 90);
	cr_assert_eq(owned(&a), 90);
	cr_assert_eq(claim(&a, LAB_HC_ALL_OR_NOTHING, 10), 10);
}

Test(limits, min_stays_claimable_while_another_takes_everything)
{
	cr_assert_eq(lab_limits_set(b.lab, lab_guest_id(b.lab), LAB_UNLIMITED, 300), 0);
	cr_assert_eq(claim_all(&a, LAB_HC_GFP_ATOMIC), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&a), ROOMS - 300, "a may use the reserve, not b's guarantee");
	cr_assert_eq(claim(&b, 0, 200), 200);
	cr_assert_eq(claim(&b, 0, 200), 100, "the rest of the guarantee");
	cr_assert_eq(claim(&b, 0, 1), LAB_HC_ENOMEM, "and no more: the pool is empty");
	cr_assert_eq(owned(&b), 300);
}

Test(limits, limits_change_at_run_time)
{
	cr_assert_eq(claim(&a, 0, 300), 300);
	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 200, 0), 0);
	cr_assert_eq(claim(&a, 0, 1), LAB_HC_EDQUOT, "held above a lowered max");
	cr_assert_eq(release(&a, 150), 0);
	cr_assert_eq(claim(&a, 0, 100), 50);
	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), LAB_UNLIMITED, 0), 0);
	cr_assert_eq(claim(&a, 0, 100), 100);
}

Test(limits, bad_limits_are_refused_and_change_nothing)
{
	struct lab_limits l;

	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 500, 0), 0);
	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 10, 20), LAB_EINVAL, "min > max");
	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 0, 0), LAB_EINVAL, "max 0");
	cr_assert_eq(lab_limits_set(a.lab, 63, LAB_UNLIMITED, 1), LAB_ESRCH, "no such lease");
	cr_assert_eq(lab_limits_set(a.lab, LAB_MAX_GUESTS, 1, 0), LAB_EINVAL, "no such slot");
	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), LAB_UNLIMITED, 3000), 0);
	cr_assert_eq(lab_limits_set(b.lab, lab_guest_id(b.lab), LAB_UNLIMITED, ROOMS - RESERVE - 2999),
		     LAB_ENOSPC, "the guarantees would pass rooms - reserve");
	lab_limits_get(b.lab, lab_guest_id(b.lab), &l);
	cr_assert_eq(l.min, 0);
	cr_assert_eq(lab_limits_set(b.lab, lab_guest_id(b.lab), LAB_UNLIMITED, ROOMS - RESERVE - 3000), 0);
	lab_limits_get(a.lab, lab_guest_id(a.lab), &l);
	cr_assert_eq(l.max, LAB_UNLIMITED, "the refused call left a's limits alone");
	cr_assert_eq(l.min, 3000);
}

Test(limits, a_killed_guests_guarantee_goes_with_its_lease)
{
	int fds[2], st;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		struct guest c;
		attach(&c);
		if (lab_limits_set(c.lab, lab_guest_id(c.lab), LAB_UNLIMITED, 1000) || claim(&c, 0, 100) != 100)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char x;
	cr_assert_eq(read(fds[0], &x, 1), 1);
	cr_assert_eq(claim_all(&a, LAB_HC_GFP_ATOMIC), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&a), ROOMS - 1000, "the live guest's guarantee is kept");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	cr_assert_eq(lab_reap(a.lab), 100);
	cr_assert_eq(claim_all(&a, LAB_HC_GFP_ATOMIC), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&a), ROOMS, "reaped: its guarantee and rooms are everyone's again");
}

/* Two guarantees: what one guest may claim past its own min is what the
 * pool has beyond everyone's unmet mins (its own among them), so a claim
 * that starts inside its min cannot run on into the other's. */
Test(limits, a_guarantee_never_takes_anothers)
{
	struct guest c;

	attach(&c);
	cr_assert_eq(lab_limits_set(b.lab, lab_guest_id(b.lab), LAB_UNLIMITED, 300), 0);
	cr_assert_eq(lab_limits_set(c.lab, lab_guest_id(c.lab), LAB_UNLIMITED, 300), 0);
	cr_assert_eq(claim_all(&a, LAB_HC_GFP_ATOMIC), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&a), ROOMS - 600, "a leaves both guarantees");
	cr_assert_eq(claim(&b, 0, 512), 300, "b's own min, not c's");
	cr_assert_eq(claim(&c, 0, 512), 300, "c's min is still there");
	detach(&c);
}

/* Past its own min a GFP_NORMAL claim leaves the reserve alone, as any
 * GFP_NORMAL claim does. */
Test(limits, past_its_min_a_normal_claim_leaves_the_reserve)
{
	cr_assert_eq(lab_limits_set(b.lab, lab_guest_id(b.lab), LAB_UNLIMITED, 300), 0);
	cr_assert_eq(claim_all(&a, 0), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&a), ROOMS - RESERVE - 300);
	cr_assert_eq(claim(&b, 0, 512), 300, "its min, not the reserve");
	cr_assert_eq(claim(&b, LAB_HC_GFP_ATOMIC, 512), RESERVE, "GFP_ATOMIC's own");
}

/* A district is 512 rooms of the max: one under a max of 1000, then
 * EDQUOT with nothing changed (not half a district); another guest's min
 * is kept from a district claim as from rooms. */
Test(limits, a_district_counts_whole_against_the_max_and_the_mins)
{
	struct lab_limits l;

	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), 1000, 0), 0);
	cr_assert_eq(call(&a, LAB_HC_CLAIM_DISTRICT, 0, 2), 1, "one district under the max");
	cr_assert_eq(call(&a, LAB_HC_CLAIM_DISTRICT, 0, 1), LAB_HC_EDQUOT);
	cr_assert_eq(call(&a, LAB_HC_CLAIM_DISTRICT, LAB_HC_GFP_ATOMIC, 1), LAB_HC_EDQUOT);
	lab_limits_get(a.lab, lab_guest_id(a.lab), &l);
	cr_assert_eq(l.held, 512);
	cr_assert_eq(owned(&a), 512);
	cr_assert_eq(claim(&a, 0, 512), 488, "single rooms up to the max");
	/* b's min of 3000 leaves 4096 - 1000 - 3000 = 96: no district for a
	 * GFP_ATOMIC claim of anyone but b. */
	cr_assert_eq(lab_limits_set(a.lab, lab_guest_id(a.lab), LAB_UNLIMITED, 0), 0);
	cr_assert_eq(lab_limits_set(b.lab, lab_guest_id(b.lab), LAB_UNLIMITED, 3000), 0);
	cr_assert_eq(call(&a, LAB_HC_CLAIM_DISTRICT, LAB_HC_GFP_ATOMIC, 1), LAB_HC_ENOMEM);
	cr_assert_eq(owned(&a), 1000, "a refused district claim took nothing");
	lab_limits_get(a.lab, lab_guest_id(a.lab), &l);
	cr_assert_eq(l.held, 1000);
	cr_assert_eq(call(&b, LAB_HC_CLAIM_DISTRICT, 0, 4), 4, "b's own min is b's");
}
