/* The same requests through both transports of the one dispatcher (the
 * monitor's port and the ivshmem mailbox) get the same results: a request
 * is written abstractly ("release the 3rd room held", "an address just past
 * the window") and each side spells it in its own addresses. */
#include <criterion/criterion.h>
#include <string.h>

#include "two_transports.h"

#define ROOMS TWO_ROOMS
#define LIST_GPA 0x2000u
#define BLOCK_GPA 0x100u

struct side {
	struct labyrinth *lab;
	uint64_t held[ROOMS];
	unsigned nheld;
	uint64_t base, size;
	uint64_t districts[8];
	unsigned ndistricts;
	int64_t (*call)(struct side *s, struct lab_hc *hc, uint64_t *list);
};

static struct two_transports two;
static unsigned turn;

static int64_t through_port(struct side *s, struct lab_hc *hc, uint64_t *list)
{
	(void)s;
	hc->rooms_gpa = LIST_GPA;
	memcpy(two.ram + LIST_GPA, list, LAB_HC_BATCH_MAX * 8);
	memcpy(two.ram + BLOCK_GPA, hc, sizeof(*hc));
	int64_t rc = port_out(&two.guest, turn++ % 2, BLOCK_GPA);	/* vCPUs take turns */
	memcpy(list, two.ram + LIST_GPA, LAB_HC_BATCH_MAX * 8);
	memcpy(hc, two.ram + BLOCK_GPA, sizeof(*hc));
	return rc;
}

static int64_t mail_call(struct side *s, struct lab_hc *hc, uint64_t *list)
{
	(void)s;
	memcpy(two_transports_mail_rooms(&two), list, LAB_HC_BATCH_MAX * 8);
	int64_t rc = mailbox_call(two.peer, 0, hc);
	memcpy(list, two_transports_mail_rooms(&two), LAB_HC_BATCH_MAX * 8);
	return rc;
}

static struct side port = {.call = through_port}, mail = {.call = mail_call};

static void sides_init(void)
{
	port.lab = two.port_lab;
	port.base = two.doors.gpa;
	port.size = two.doors.size;
	mail.lab = two.mail_lab;
	mail.base = two.peer->hdr->bar_base;
	mail.size = (uint64_t)two.peer->rooms * LAB_ROOM_SIZE;
}

static void setup(void)
{
	cr_assert_eq(two_transports_init(&two), 0);
	sides_init();
}

/* The peer lent two districts: the mailbox's rooms in one, one whole. */
static void setup_districts(void)
{
	cr_assert_eq(two_transports_init_lent(&two, 2 * TWO_ROOMS), 0);
	sides_init();
}

/* What a RELEASE entry names, spelled for one side. */
enum what { HELD, BELOW, PAST, UNALIGNED, HELD_AGAIN };

static uint64_t spell(const struct side *s, enum what w, unsigned k)
{
	switch (w) {
	case HELD: return s->held[k % s->nheld];
	case HELD_AGAIN: return s->held[k % s->nheld];
	case BELOW: return s->base - LAB_ROOM_SIZE;
	case PAST: return s->base + s->size;
	default: return s->held[k % s->nheld] + 8;
	}
}

static int64_t claim(struct side *s, uint32_t flags, uint32_t count)
{
	struct lab_hc hc = {.call = LAB_HC_CLAIM, .flags = flags, .count = count};
	uint64_t list[LAB_HC_BATCH_MAX] = {0};
	int64_t rc = s->call(s, &hc, list);

	for (int64_t i = 0; i < rc; i++)
		s->held[s->nheld++] = list[i];
	return rc;
}

static void forget(struct side *s, uint64_t gpa)
{
	for (unsigned i = 0; i < s->nheld; i++)
		if (s->held[i] == gpa) {
			s->held[i] = s->held[--s->nheld];
			return;
		}
}

static int64_t release(struct side *s, const enum what *w, unsigned n, unsigned seed)
{
	struct lab_hc hc = {.call = LAB_HC_RELEASE, .count = n};
	uint64_t list[LAB_HC_BATCH_MAX] = {0};
	int64_t rc;

	for (unsigned i = 0; i < n; i++)
		list[i] = spell(s, w[i], w[i] == HELD_AGAIN ? seed : seed + i);
	rc = s->call(s, &hc, list);
	if (rc == 0)
		for (unsigned i = 0; i < n; i++)
			forget(s, list[i]);
	return rc;
}

static int64_t plain(struct side *s, uint32_t call, uint32_t flags, uint32_t count)
{
	struct lab_hc hc = {.call = call, .flags = flags, .count = count};
	uint64_t list[LAB_HC_BATCH_MAX] = {0};

	return s->call(s, &hc, list);
}

Test(transports, same_requests_same_results, .init = setup)
{
	static const struct { uint32_t call, flags, count; } plains[] = {
		{LAB_HC_NULL, 0, 0}, {LAB_HC_INFO, 0, 0}, {99, 0, 1},
		{LAB_HC_CLAIM, 0, 0}, {LAB_HC_CLAIM, 0, 513}, {LAB_HC_CLAIM, 0x8, 1},
		{LAB_HC_CLAIM, LAB_HC_CORRIDOR(2), 1}, {LAB_HC_CLAIM, LAB_HC_CORRIDOR(255), 1},
		{LAB_HC_RELEASE, 0, 0}, {LAB_HC_RELEASE, 0, 513},
	};
	static const enum what batches[][3] = {
		{HELD, BELOW, HELD}, {PAST, HELD, HELD}, {HELD, UNALIGNED, HELD},
		{HELD, HELD_AGAIN, HELD}, {HELD, HELD, HELD},
	};
	unsigned seed = 7;

	for (unsigned i = 0; i < sizeof(plains) / sizeof(plains[0]); i++)
		cr_expect_eq(plain(&port, plains[i].call, plains[i].flags, plains[i].count),
			     plain(&mail, plains[i].call, plains[i].flags, plains[i].count),
			     "request %u", i);
	for (unsigned round = 0; round < 40; round++) {
		uint32_t count = 1 + (seed = seed * 1103515245 + 12345) % 16;
		uint32_t flags = LAB_HC_CORRIDOR(seed >> 8 & 1) | (seed >> 12 & 1 ? LAB_HC_GFP_ATOMIC : 0);

		cr_assert_eq(claim(&port, flags, count), claim(&mail, flags, count), "claim %u", round);
		for (unsigned b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
			if (port.nheld < 3)
				break;
			cr_assert_eq(release(&port, batches[b], 3, seed + b),
				     release(&mail, batches[b], 3, seed + b), "round %u batch %u", round, b);
		}
	}
	cr_assert_eq(port.nheld, mail.nheld);
	/* All or nothing past what the peer's memory holds: the same refusal. */
	cr_expect_eq(claim(&port, LAB_HC_ALL_OR_NOTHING, 512), 512);
	cr_expect_eq(claim(&mail, LAB_HC_ALL_OR_NOTHING, 512), LAB_HC_ENOMEM);
}

/* A panic's message ends up in the monitor's one-line error and in serve's
 * log: the guest's newlines and escapes must not (a newline let a guest
 * forge a line of its own, an escape reached the operator's terminal). */
Test(transports, panic_message_is_one_printable_line, .init = setup)
{
	static const char msg[] = "first\nvmm: forged\x1b[2J\r\x7f\xff end";
	static const char want[] = "first?vmm: forged?[2J??? end";
	struct lab_hc hc = {.call = LAB_HC_PANIC};

	memcpy(hc.u.panic, msg, sizeof(msg));
	cr_assert_eq(port.call(&port, &hc, (uint64_t[LAB_HC_BATCH_MAX]){0}), LAB_HC_OK);
	cr_assert_str_eq(two.guest.cpus[(turn - 1) % 2].caller.panic_message, want);
	memcpy(hc.u.panic, msg, sizeof(msg));
	cr_assert_eq(mail.call(&mail, &hc, (uint64_t[LAB_HC_BATCH_MAX]){0}), LAB_HC_OK);
	cr_assert_str_eq(two.peer->caller.panic_message, want);
}

static int64_t claim_districts(struct side *s, uint32_t flags, uint32_t count)
{
	struct lab_hc hc = {.call = LAB_HC_CLAIM_DISTRICT, .flags = flags, .count = count};
	uint64_t list[LAB_HC_BATCH_MAX] = {0};
	int64_t rc = s->call(s, &hc, list);

	for (int64_t i = 0; i < rc; i++)
		s->districts[s->ndistricts++] = list[i];
	return rc;
}

static int64_t release_list(struct side *s, uint32_t call, uint32_t flags, const uint64_t *gpas,
			    unsigned n)
{
	struct lab_hc hc = {.call = call, .flags = flags, .count = n};
	uint64_t list[LAB_HC_BATCH_MAX] = {0};

	memcpy(list, gpas, n * sizeof(*gpas));
	return s->call(s, &hc, list);
}

/* Every room of a district the guest holds whole is its, in the right
 * lab, and the district is its whole: never half. */
static void expect_whole(const struct side *s, uint64_t gpa, bool whole)
{
	uint32_t d = (uint32_t)((gpa - s->base) / LAB_HC_DISTRICT_SIZE) +
		     (s == &mail ? two.peer->first_room / LAB_DISTRICT_ROOMS : 0);

	cr_assert_eq(lab_district_whole_of(s->lab, d) == lab_guest_id(s->lab), whole,
		     "district %u whole: %d", d, !whole);
}

/* Every room of the port's district at @gpa has a page-table entry in
 * the window (the kernel's, from pagemap), or none has. */
static void expect_reachable(uint64_t gpa, bool reachable)
{
	uint64_t bits[LAB_DISTRICT_ROOMS / 64];
	uint32_t first = (uint32_t)((gpa - port.base) >> LAB_ROOM_SHIFT);

	cr_assert_eq(doors_reachable(&two.doors, first, LAB_DISTRICT_ROOMS, bits), 0);
	for (uint32_t w = 0; w < LAB_DISTRICT_ROOMS / 64; w++)
		cr_assert_eq(bits[w], reachable ? ~0ull : 0, "rooms %u.. reachable: %lx", w * 64,
			     (unsigned long)bits[w]);
}

/*
 * The district calls through both transports: hostile requests get the
 * same documented error on each and change nothing (the district stays
 * whole and releasable), a room of a district is never released alone.
 */
Test(transports, district_calls_same_results, .init = setup_districts)
{
	static const struct { uint32_t call, flags, count; } plains[] = {
		{LAB_HC_CLAIM_DISTRICT, 0, 0}, {LAB_HC_CLAIM_DISTRICT, 0, 9},
		{LAB_HC_CLAIM_DISTRICT, 0x8, 1}, {LAB_HC_CLAIM_DISTRICT, LAB_HC_CORRIDOR(255), 1},
		{LAB_HC_RELEASE_DISTRICT, 0, 0}, {LAB_HC_RELEASE_DISTRICT, 0, 9},
		{LAB_HC_RELEASE_DISTRICT, 0, 1},	/* address 0: below the window */
		/* more districts than either has, all or nothing */
		{LAB_HC_CLAIM_DISTRICT, LAB_HC_ALL_OR_NOTHING, 8},
	};
	struct side *sides[2] = {&port, &mail};
	int64_t want[] = {LAB_HC_EINVAL, LAB_HC_E2BIG, LAB_HC_EINVAL, LAB_HC_EINVAL,
			  LAB_HC_EINVAL, LAB_HC_E2BIG, LAB_HC_ERANGE, LAB_HC_ENOMEM};

	for (unsigned i = 0; i < sizeof(plains) / sizeof(plains[0]); i++)
		for (int k = 0; k < 2; k++)
			cr_expect_eq(plain(sides[k], plains[i].call, plains[i].flags, plains[i].count),
				     want[i], "request %u side %d", i, k);
	for (int k = 0; k < 2; k++) {
		struct side *s = sides[k];
		uint64_t d, room, bad[2];

		cr_assert_eq(claim_districts(s, LAB_HC_GFP_NORMAL, 1), 1, "side %d", k);
		d = s->districts[0];
		cr_assert_eq((d - s->base) % LAB_HC_DISTRICT_SIZE, 0);
		expect_whole(s, d, true);
		if (s == &port)
			expect_reachable(d, true);
		room = d + 5 * LAB_ROOM_SIZE;
		cr_expect_eq(release_list(s, LAB_HC_RELEASE, 0, &room, 1), LAB_HC_EBUSY);
		bad[0] = d + LAB_ROOM_SIZE;
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 0, bad, 1), LAB_HC_EINVAL);
		bad[0] = s->base + s->size;
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 0, bad, 1), LAB_HC_ERANGE);
		bad[0] = bad[1] = d;
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 0, bad, 2), LAB_HC_EALREADY);
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 1, &d, 1), LAB_HC_EINVAL);
		/* a district it does not hold, after one it does: nothing released */
		bad[0] = d;
		bad[1] = d == s->base + s->size - LAB_HC_DISTRICT_SIZE ? d - LAB_HC_DISTRICT_SIZE
								       : d + LAB_HC_DISTRICT_SIZE;
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 0, bad, 2), LAB_HC_EALREADY);
		expect_whole(s, d, true);
		/* The refusals gave every right back: the district is released. */
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 0, &d, 1), LAB_HC_OK);
		expect_whole(s, d, false);
		if (s == &port)
			expect_reachable(d, false);
		cr_expect_eq(release_list(s, LAB_HC_RELEASE_DISTRICT, 0, &d, 1), LAB_HC_EALREADY);
		cr_expect_eq(release_list(s, LAB_HC_RELEASE, 0, &room, 1), LAB_HC_EALREADY);
	}
}

/* Rooms claimed one by one are released one by one, even all 512 of a
 * district: RELEASE_DISTRICT refuses them and changes nothing. */
Test(transports, a_district_of_single_rooms_is_not_released_whole, .init = setup)
{
	uint64_t first = UINT64_MAX;

	cr_assert_eq(claim(&port, LAB_HC_ALL_OR_NOTHING, 512), 512);
	for (unsigned i = 0; i < port.nheld; i++)
		if ((port.held[i] - port.base) % LAB_HC_DISTRICT_SIZE == 0)
			first = port.held[i];
	cr_assert_neq(first, UINT64_MAX, "no district's first room among 512 claimed");
	cr_expect_eq(release_list(&port, LAB_HC_RELEASE_DISTRICT, 0, &first, 1), LAB_HC_EINVAL);
	cr_expect_eq(release_list(&port, LAB_HC_RELEASE, 0, &first, 1), LAB_HC_OK);
}
