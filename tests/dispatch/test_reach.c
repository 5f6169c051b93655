/* A CLAIM whose rooms the transport cannot make reachable (the monitor's
 * window refusing UFFDIO_CONTINUE) is refused with ENOMEM and changes
 * nothing: the guest's list is untouched, no room is owned or held, the
 * lease's count is back where it was, and once scrubbed every room is free
 * again.  The dispatcher runs over a transport of this file's own whose
 * reach fails on demand: no host can be made to fail the real one. */
#include <criterion/criterion.h>
#include <string.h>

#include "labyrinth_dispatch.h"
#include "labyrinth_host.h"

#define ROOMS 2048u
#define WINDOW_BASE (4ull << 30)

static struct labyrinth *lab;
static struct lab_guest guest;
static struct lab_caller caller;
static _Atomic uint64_t *held;
static uint64_t list[LAB_HC_BATCH_MAX];
static bool reach_fails;
static unsigned reachable;	/* rooms the transport made reachable, less unreached */

static uint64_t *fake_room_list(void *t, uint64_t gpa, unsigned int n)
{
	(void)t;
	return gpa == 0 && n <= LAB_HC_BATCH_MAX ? list : NULL;
}

static int fake_reach(void *t, const uint32_t *rooms, unsigned int n)
{
	(void)t, (void)rooms;
	if (reach_fails)
		return -1;	/* all or none: none */
	reachable += n;
	return 0;
}

static void fake_unreach(void *t, const uint32_t *rooms, unsigned int n)
{
	(void)t, (void)rooms;
	cr_assert_geq(reachable, n, "unreached what was never reachable");
	reachable -= n;
}

static void fake_window(void *t, uint64_t *base, uint64_t *size, uint32_t *first)
{
	(void)t;
	*base = WINDOW_BASE;
	*size = (uint64_t)ROOMS << LAB_ROOM_SHIFT;
	*first = 0;
}

static uint32_t fake_space(void *t)
{
	(void)t;
	return ROOMS;
}

static uint32_t fake_vector(void *t)
{
	(void)t;
	return 0;
}

static const struct lab_transport fake = {
	.room_list = fake_room_list,
	.reach = fake_reach,
	.unreach = fake_unreach,
	.window = fake_window,
	.space = fake_space,
	.pressure_vector = fake_vector,
};

static void setup(void)
{
	struct lab_geometry geo = {.rooms = ROOMS, .corridors = 2, .reserve = 64};

	cr_assert_eq(lab_create_private(&geo, &lab), 0);
	held = calloc(lab_reach_words(lab), sizeof(*held));
	cr_assert_not_null(held);
	lab_guest_init(&guest, lab, &fake, NULL, held);
	lab_caller_init(&caller, &guest, 0);
	reach_fails = false;
	reachable = 0;
}

static void teardown(void)
{
	lab_cursor_park(&caller.cursor);
	lab_detach(lab);
	free(held);
}

static int64_t call(uint32_t nr, uint32_t flags, uint32_t count)
{
	struct lab_hc hc = {.call = nr, .flags = flags, .count = count, .rooms_gpa = 0};

	return lab_dispatch(&caller, &hc, &hc.u);
}

/* Scrub every dirty room: what is free then is what nobody lost.  The
 * caller parks first: the rooms its cursor kept for its next claims, and
 * the dirty rooms of the district it holds, are the worker's then. */
static uint32_t free_after_scrub(void)
{
	struct lab_cursor scrubber;
	struct lab_census c;

	lab_cursor_park(&caller.cursor);
	lab_cursor_init(&scrubber, lab, 1);
	while (lab_scrub(&scrubber, 512))
		;
	lab_cursor_park(&scrubber);
	lab_census(lab, &c);
	cr_assert_eq(c.dirty, 0);
	return c.free;
}

static void assert_nothing_held(void)
{
	struct lab_limits lim;
	struct lab_census c;

	lab_census(lab, &c);
	cr_assert_eq(c.claimed, 0, "%u rooms still claimed", c.claimed);
	cr_assert_eq(c.guest_rooms[lab_guest_id(lab)], 0);
	lab_limits_get(lab, lab_guest_id(lab), &lim);
	cr_assert_eq(lim.held, 0, "the lease still counts %lld rooms", (long long)lim.held);
	for (uint32_t r = 0; r < ROOMS; r++)
		cr_assert(!lab_guest_reaches(&guest, r), "room %u is held", r);
	cr_assert_eq(reachable, 0);
}

Test(reach, a_claim_that_cannot_be_mapped_changes_nothing, .init = setup, .fini = teardown)
{
	static const uint32_t counts[] = {1, 7, 64, 512};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memset(list, 0xa5, sizeof(list));
		reach_fails = true;
		cr_assert_eq(call(LAB_HC_CLAIM, 0, counts[i]), LAB_HC_ENOMEM, "claim of %u",
			     counts[i]);
		for (unsigned k = 0; k < LAB_HC_BATCH_MAX; k++)
			cr_assert_eq(list[k], 0xa5a5a5a5a5a5a5a5ull,
				     "claim of %u wrote the guest's list", counts[i]);
		assert_nothing_held();
		cr_assert_eq(free_after_scrub(), ROOMS, "rooms lost after a claim of %u",
			     counts[i]);
	}
	/* The same guest claims and releases as before. */
	reach_fails = false;
	cr_assert_eq(call(LAB_HC_CLAIM, 0, 100), 100);
	cr_assert_eq(reachable, 100);
	for (unsigned k = 0; k < 100; k++)
		cr_assert(lab_guest_reaches(&guest, (uint32_t)((list[k] - WINDOW_BASE) >>
							     LAB_ROOM_SHIFT)));
	cr_assert_eq(call(LAB_HC_RELEASE, 0, 100), LAB_HC_OK);
	assert_nothing_held();
	cr_assert_eq(free_after_scrub(), ROOMS);
}

/* With a max, what the failed claim took from it comes back: the guest may
 * still claim up to its max afterwards. */
Test(reach, a_failed_claim_gives_back_its_share_of_the_max, .init = setup, .fini = teardown)
{
	cr_assert_eq(lab_limits_set(lab, lab_guest_id(lab), 50, 0), 0);
	reach_fails = true;
	cr_assert_eq(call(LAB_HC_CLAIM, 0, 50), LAB_HC_ENOMEM);
	cr_assert_eq(call(LAB_HC_CLAIM, 0, 50), LAB_HC_ENOMEM);
	assert_nothing_held();
	reach_fails = false;
	cr_assert_eq(call(LAB_HC_CLAIM, 0, 50), 50);
	cr_assert_eq(call(LAB_HC_CLAIM, 0, 1), LAB_HC_EDQUOT);
}
