/* The same requests through both transports of the one dispatcher (the
 * monitor's port and the ivshmem mailbox) get the same results: a request
 * is written abstractly ("release the 3rd room held", "an address just past
 * the window") and each side spells it in its own addresses. */
#include <criterion/criterion.h>
#include <string.h>

#include "hypercall.h"
#include "server.h"

#define ROOMS 2048u
#define RAM_SIZE (1u << 20)
#define LIST_GPA 0x2000u
#define BLOCK_GPA 0x100u

struct side {
	struct labyrinth *lab;
	uint64_t held[ROOMS];
	unsigned nheld;
	uint64_t base, size;
	int64_t (*call)(struct side *s, struct lab_hc *hc, uint64_t *list);
};

static uint8_t *ram;
static struct window window;
static struct hc_guest guest;
static struct hc_cpu cpus[2];
static struct serve_peer *peer;
static unsigned turn;

static struct labyrinth *private_labyrinth(void)
{
	struct lab_geometry geo = {.rooms = ROOMS, .corridors = 2, .reserve = 64};
	struct labyrinth *lab;

	cr_assert_eq(lab_create_private(&geo, &lab), 0);
	return lab;
}

static int64_t port_call(struct side *s, struct lab_hc *hc, uint64_t *list)
{
	(void)s;
	hc->rooms_gpa = LIST_GPA;
	memcpy(ram + LIST_GPA, list, LAB_HC_BATCH_MAX * 8);
	memcpy(ram + BLOCK_GPA, hc, sizeof(*hc));
	int64_t rc = hc_dispatch(&cpus[turn++ % 2], BLOCK_GPA);	/* vCPUs take turns */
	memcpy(list, ram + LIST_GPA, LAB_HC_BATCH_MAX * 8);
	memcpy(hc, ram + BLOCK_GPA, sizeof(*hc));
	return rc;
}

static uint64_t *slot_rooms(void)
{
	return ((struct lab_ivshmem_slot *)((char *)peer->hdr + LAB_IVSHMEM_SLOT_OFFSET))->rooms;
}

static int64_t mail_call(struct side *s, struct lab_hc *hc, uint64_t *list)
{
	(void)s;
	memcpy(slot_rooms(), list, LAB_HC_BATCH_MAX * 8);
	int64_t rc = mailbox_call(peer, 0, hc);
	memcpy(list, slot_rooms(), LAB_HC_BATCH_MAX * 8);
	return rc;
}

static struct side port = {.call = port_call}, mail = {.call = mail_call};

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	port.lab = private_labyrinth();
	cr_assert_eq(window_init(&window, 4ull << 30, port.lab), 0);
	cr_assert_eq(hc_guest_init(&guest, ram, RAM_SIZE, &window, port.lab), 0);
	hc_cpu_init(&cpus[0], &guest, 0);
	hc_cpu_init(&cpus[1], &guest, 1);
	port.base = window.gpa;
	port.size = window.size;
	mail.lab = private_labyrinth();
	peer = peer_new(1, 1);
	cr_assert_not_null(peer);
	cr_assert_eq(peer_lend(peer, mail.lab), 0);
	peer->hdr->bar_base = 1ull << 32;
	mail.base = peer->hdr->bar_base;
	mail.size = (uint64_t)peer->rooms * LAB_ROOM_SIZE;
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
	cr_assert_str_eq(cpus[(turn - 1) % 2].caller.panic_message, want);
	memcpy(hc.u.panic, msg, sizeof(msg));
	cr_assert_eq(mail.call(&mail, &hc, (uint64_t[LAB_HC_BATCH_MAX]){0}), LAB_HC_OK);
	cr_assert_str_eq(peer->caller.panic_message, want);
}
