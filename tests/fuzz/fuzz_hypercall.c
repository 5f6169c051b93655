/* libFuzzer target over the one hypercall dispatcher, through both of its
 * transports, without KVM:
 *   - the port transport: guest RAM is a buffer, the room window the real
 *     userfaultfd-gated mapping of a real private labyrinth; two vCPUs of
 *     the same guest take turns as the input says;
 *   - the mailbox transport: an ivshmem peer's memory and slots, its lease
 *     on a second private labyrinth.
 * Each input is a sequence of calls (transport and vCPU, block address,
 * block bytes, room list bytes); tests/fuzz/make_seeds.py writes the seeds
 * and documents the layout. After every call: the rooms the guest was
 * told it holds are exactly the rooms the labyrinth says it owns, and no
 * room it does not hold is reachable (the kernel's page tables, read from
 * /proc/self/pagemap, for the window; the lent pages, for the peer).
 * Crashes and aborts are findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "two_transports.h"

#define RAM_SIZE TWO_RAM_SIZE
#define ROOMS TWO_ROOMS
/* The peer's labyrinth is twice as large, so that its extent has a
 * district besides the one its mailbox takes rooms of. */
#define MAIL_ROOMS (2 * TWO_ROOMS)
#define DISTRICTS (MAIL_ROOMS / LAB_DISTRICT_ROOMS)

struct side {
	struct labyrinth *lab;
	uint32_t rooms;
	bool held[MAIL_ROOMS];
	bool whole[DISTRICTS];		/* claimed whole: released only whole */
	unsigned nheld;
	uint32_t kept_first, kept;	/* the lease's, never the guest's (a mailbox) */
};

static struct {
	struct two_transports t;
	struct side port, mail;
} f;

static void setup(void)
{
	if (two_transports_init_lent(&f.t, MAIL_ROOMS))
		abort();
	f.port.lab = f.t.port_lab;
	f.port.rooms = ROOMS;
	f.mail.lab = f.t.mail_lab;
	f.mail.rooms = MAIL_ROOMS;
	f.mail.kept_first = f.t.peer->first_room;
	f.mail.kept = LAB_IVSHMEM_MAILBOX_ROOMS;
}

/* The dispatcher's own copy of the addresses is read, not guest memory:
 * the guest may have pointed the list over the block itself. */
/* A district's rooms as a claim or release of each: whole, or not at all. */
static void track_districts(struct side *s, const struct lab_caller *c, bool claim, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t d = c->districts[i];

		if (d >= DISTRICTS || s->whole[d] == claim)
			abort();	/* granted twice, or released what was not whole */
		s->whole[d] = claim;
		for (uint32_t r = d * LAB_DISTRICT_ROOMS; r < (d + 1) * LAB_DISTRICT_ROOMS; r++) {
			if (s->held[r] == claim)
				abort();
			s->held[r] = claim;
			s->nheld += claim ? 1 : -1;
		}
	}
}

static void track(struct side *s, const struct lab_caller *c, const struct lab_hc *hc,
		  int64_t rc)
{
	unsigned n;

	if (hc->call == LAB_HC_CLAIM_DISTRICT && rc > 0)
		return track_districts(s, c, true, (unsigned)rc);
	if (hc->call == LAB_HC_RELEASE_DISTRICT && rc == 0)
		return track_districts(s, c, false, hc->count);
	if (hc->call == LAB_HC_CLAIM && rc > 0)
		n = (unsigned)rc;
	else if (hc->call == LAB_HC_RELEASE && rc == 0)
		n = hc->count;
	else
		return;
	for (unsigned i = 0; i < n; i++) {
		uint32_t room = c->rooms[i];
		if (room >= s->rooms || s->held[room] != (hc->call == LAB_HC_RELEASE) ||
		    s->whole[room / LAB_DISTRICT_ROOMS])
			abort();	/* granted twice, released what we did not hold, or
					   a room of a district claimed whole alone */
		s->held[room] = hc->call == LAB_HC_CLAIM;
		s->nheld += hc->call == LAB_HC_CLAIM ? 1 : -1;
	}
}

static void check_owners(const struct side *s)
{
	struct lab_census c;

	lab_census(s->lab, &c);
	if (c.free + c.claimed != c.rooms || c.guest_rooms[lab_guest_id(s->lab)] != s->nheld + s->kept)
		abort();
	for (uint32_t d = 0; d < s->rooms / LAB_DISTRICT_ROOMS; d++)
		if (s->whole[d] != (lab_district_whole_of(s->lab, d) == lab_guest_id(s->lab)))
			abort();
	for (uint32_t r = 0; r < s->rooms; r++) {
		uint32_t owner = lab_room_owner(s->lab, r);
		bool kept = r - s->kept_first < s->kept;

		if (s->held[r] != (!kept && owner && lab_owner_guest(owner) == lab_guest_id(s->lab)))
			abort();
	}
}

static void check_invariants(void)
{
	uint64_t reach[ROOMS / 64];

	check_owners(&f.port);
	if (doors_reachable(&f.t.doors, 0, ROOMS, reach))
		abort();
	for (uint32_t r = 0; r < ROOMS; r++)
		if ((reach[r / 64] >> (r % 64) & 1) && !f.port.held[r])
			abort();	/* reachable, but not the guest's */
	check_owners(&f.mail);
	for (uint32_t r = 0; r < MAIL_ROOMS; r++)
		if (f.mail.held[r] && (r < f.t.peer->first_room + LAB_IVSHMEM_MAILBOX_ROOMS ||
				       r >= f.t.peer->first_room + f.t.peer->rooms))
			abort();	/* the guest's, but not of its extent (or the mailbox) */
}

static int64_t call_port(unsigned vcpu, uint32_t block, const struct lab_hc *hc)
{
	int64_t rc;

	if (block + sizeof(*hc) <= RAM_SIZE)
		memcpy(f.t.ram + block, hc, sizeof(*hc));
	rc = port_out(&f.t.guest, vcpu, block);
	if (block + sizeof(*hc) <= RAM_SIZE && !(block & 7))
		track(&f.port, &f.t.guest.cpus[vcpu].caller, hc, rc);
	return rc;
}

static int64_t call_mail(struct lab_hc hc)
{
	int64_t rc = mailbox_call(f.t.peer, 0, &hc);

	track(&f.mail, &f.t.peer->caller, &hc, rc);
	return rc;
}

static uint64_t *mail_rooms(void)
{
	return two_transports_mail_rooms(&f.t);
}

static uint64_t mail_gpa(uint32_t room)
{
	return f.t.peer->hdr->bar_base + (uint64_t)(room - f.t.peer->first_room) * LAB_ROOM_SIZE;
}

/* Districts claimed whole back through RELEASE_DISTRICT. */
static void release_districts(void)
{
	struct lab_hc hc = {.call = LAB_HC_RELEASE_DISTRICT, .count = 1, .rooms_gpa = 0x1000};
	uint64_t *port = (uint64_t *)(f.t.ram + hc.rooms_gpa), *mail = mail_rooms();

	for (uint32_t d = 0; d < DISTRICTS; d++) {
		if (f.port.whole[d]) {
			port[0] = f.t.doors.gpa + ((uint64_t)d * LAB_DISTRICT_ROOMS << 12);
			if (call_port(0, 0, &hc) != 0)
				abort();
		}
		if (f.mail.whole[d]) {
			mail[0] = mail_gpa(d * LAB_DISTRICT_ROOMS);
			if (call_mail(hc) != 0)
				abort();
		}
	}
}

/* Gives everything back through RELEASE itself, so each input starts alike. */
static void release_all(void)
{
	struct lab_hc hc = {.call = LAB_HC_RELEASE, .rooms_gpa = 0x1000};
	uint64_t *port = (uint64_t *)(f.t.ram + hc.rooms_gpa), *mail = mail_rooms();

	release_districts();
	for (uint32_t r = 0; r < ROOMS; r++) {
		hc.count = 1;
		if (f.port.held[r]) {
			port[0] = f.t.doors.gpa + ((uint64_t)r << 12);
			if (call_port(0, 0, &hc) != 0)
				abort();
		}
	}
	for (uint32_t r = 0; r < MAIL_ROOMS; r++) {
		if (!f.mail.held[r])
			continue;
		mail[0] = mail_gpa(r);
		if (call_mail(hc) != 0)
			abort();
	}
	if (f.port.nheld || f.mail.nheld)
		abort();
}

/* A list that names held rooms is more interesting than random bytes:
 * byte 0xff in the input turns an entry into the address of a room held,
 * 0xfe into the first room of the district of one. */
static void aim(uint64_t *list, unsigned n, bool port)
{
	struct side *s = port ? &f.port : &f.mail;

	for (unsigned i = 0; i < n; i++) {
		uint32_t pick = (uint32_t)(list[i] >> 8) % s->rooms;
		bool district = (list[i] & 0xff) == 0xfe;

		if ((list[i] & 0xff) != 0xff && !district)
			continue;
		for (uint32_t k = 0; k < s->rooms; k++) {
			uint32_t r = (pick + k) % s->rooms;

			if (!s->held[r])
				continue;
			if (district)
				r -= r % LAB_DISTRICT_ROOMS;
			list[i] = port ? f.t.doors.gpa + ((uint64_t)r << 12) : mail_gpa(r);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!f.t.ram)
		setup();
	while (size >= 5 + sizeof(struct lab_hc)) {
		uint8_t how = data[0];
		uint32_t block;
		struct lab_hc hc;
		bool port = !(how & 1);

		memcpy(&block, data + 1, 4);
		block %= RAM_SIZE + 64;		/* mostly inside RAM, sometimes past it */
		memcpy(&hc, data + 5, sizeof(hc));
		data += 5 + sizeof(hc);
		size -= 5 + sizeof(hc);
		/* The room list: count entries of the input, aimed at held rooms. */
		uint64_t *list = port && hc.rooms_gpa < RAM_SIZE ? (uint64_t *)(f.t.ram + (hc.rooms_gpa & ~7ull))
				 : port ? NULL : mail_rooms();
		if (list) {
			size_t room = port ? RAM_SIZE - (hc.rooms_gpa & ~7ull) : 512 * 8;
			size_t want = (hc.count < 512 ? hc.count : 512) * 8ul;
			size_t take = size < room ? size : room;
			take = (take < want ? take : want) & ~7ul;
			memcpy(list, data, take);
			aim(list, (unsigned)(take / 8), port);
			data += take;
			size -= take;
		}
		if (port)
			call_port(how >> 1 & 1, block, &hc);
		else
			call_mail(hc);
		check_invariants();
	}
	release_all();
	check_invariants();
	return 0;
}
