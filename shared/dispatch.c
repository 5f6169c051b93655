// SPDX-License-Identifier: MIT
/*
 * dispatch.c - NULL, INFO, CLAIM, RELEASE, PANIC and the DISTRICT calls,
 * once for every transport (labyrinth_dispatch.h).  Every field of the request is
 * guest-controlled; a failed call changes nothing.
 */
#include "labyrinth_dispatch.h"
#include "district.h"

/* The ABI's numbers are the core's, so results and flags pass through. */
_Static_assert(LAB_HC_EPERM == LAB_EPERM, "EPERM");
_Static_assert(LAB_HC_ENOMEM == LAB_ENOMEM, "ENOMEM");
_Static_assert(LAB_HC_EINVAL == LAB_EINVAL, "EINVAL");
_Static_assert(LAB_HC_ERANGE == LAB_ERANGE, "ERANGE");
_Static_assert(LAB_HC_EALREADY == LAB_EALREADY, "EALREADY");
_Static_assert(LAB_HC_EDQUOT == LAB_EDQUOT, "EDQUOT");
_Static_assert(LAB_HC_EBUSY == LAB_EBUSY, "EBUSY");
_Static_assert(LAB_HC_DISTRICT_ROOMS == LAB_DISTRICT_ROOMS, "a district");
_Static_assert(LAB_HC_DISTRICT_BATCH_MAX <= LAB_DISTRICTS_MAX, "districts per call");
_Static_assert(LAB_HC_GFP_NORMAL == LAB_GFP_NORMAL, "GFP_NORMAL");
_Static_assert(LAB_HC_GFP_ATOMIC == LAB_GFP_ATOMIC, "GFP_ATOMIC");
_Static_assert(LAB_HC_ALL_OR_NOTHING == LAB_ALL_OR_NOTHING, "ALL_OR_NOTHING");
_Static_assert(LAB_HC_THISCORRIDOR == LAB_THISCORRIDOR, "THISCORRIDOR");

#define CLAIM_FLAGS (LAB_HC_GFP_ATOMIC | LAB_HC_ALL_OR_NOTHING | LAB_HC_THISCORRIDOR)

size_t lab_reach_words(const struct labyrinth *lab)
{
	return (lab_rooms(lab) + 63) / 64;
}

void lab_guest_init(struct lab_guest *g, struct labyrinth *lab,
		    const struct lab_transport *ops, void *t,
		    _Atomic uint64_t *reach)
{
	g->lab = lab;
	g->ops = ops;
	g->t = t;
	g->reach = reach;
	g->corridors = lab->hall->corridors;
}

void lab_caller_init(struct lab_caller *c, struct lab_guest *g, uint32_t vcpu)
{
	c->guest = g;
	c->panicked = false;
	c->claimed = c->released = c->refused = c->limited = 0;
	c->cached = 0;
	c->panic_message[0] = 0;
	lab_cursor_init(&c->cursor, g->lab, vcpu);
}

bool lab_guest_reaches(const struct lab_guest *g, uint32_t room)
{
	return room < lab_rooms(g->lab) &&
	       (atomic_load_explicit(&g->reach[room / 64], memory_order_acquire) >>
		(room % 64) & 1);
}

static void reach_set(struct lab_guest *g, uint32_t room)
{
	atomic_fetch_or_explicit(&g->reach[room / 64], 1ull << (room % 64),
				 memory_order_release);
}

/* The lease @g calls through (its handle's: the owner words say it). */
static inline uint32_t lease_of(const struct lab_guest *g)
{
	return g->lab->guest;
}

/* Take the right to release @room; false if we do not hold it (any more). */
static bool reach_take(struct lab_guest *g, uint32_t room)
{
	uint64_t bit = 1ull << (room % 64);

	return room < lab_rooms(g->lab) &&
	       (atomic_fetch_and_explicit(&g->reach[room / 64], ~bit,
					  memory_order_acq_rel) & bit);
}

/* Why @room cannot be released by this guest. */
static int64_t not_reached(struct lab_guest *g, uint32_t room)
{
	uint32_t owner = room < lab_rooms(g->lab) ? lab_room_owner(g->lab, room) : 0;

	if (owner && lab_owner_guest(owner) != lease_of(g))
		return LAB_HC_EPERM;
	return LAB_HC_EALREADY;
}

/* All or nothing: either every room's bit is now ours, or none is. */
static int64_t reach_take_all(struct lab_guest *g, const uint32_t *rooms,
			     unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t refused = rooms[i];

		if (reach_take(g, refused))
			continue;
		while (i--)
			reach_set(g, rooms[i]);
		return not_reached(g, refused);
	}
	return LAB_HC_OK;
}

static void reach_give_back(struct lab_guest *g, const uint32_t *rooms, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		reach_set(g, rooms[i]);
}

/* Is one of @rooms in a district claimed whole (released only whole)? */
static bool in_whole_district(struct lab_guest *g, const uint32_t *rooms, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (lab_district_whole_of(g->lab, rooms[i] / LAB_DISTRICT_ROOMS) != LAB_NONE)
			return true;
	return false;
}

/* A transport with a claim of its own claims in the guest's extent. */
static bool claims_in_extent(const struct lab_guest *g)
{
	return g->ops->claim != NULL;
}

/*
 * What the guest could claim now: its space, or fewer if the labyrinth
 * has fewer free rooms.  An extent's free rooms are all in the census,
 * so a borrower's space is the answer without one: the census reads every
 * map word and owner word (milliseconds at 2^22 rooms), and a peer
 * ringing INFO would have made the server's one thread, which serves
 * every peer, do that at each ring.
 */
static uint32_t info_free(struct lab_guest *g, uint32_t space)
{
	struct lab_census cs;

	if (claims_in_extent(g))
		return space;
	lab_census(g->lab, &cs);
	return cs.free < space ? cs.free : space;
}

static int64_t call_info(struct lab_caller *c, void *u)
{
	struct lab_guest *g = c->guest;
	struct lab_hall *h = g->lab->hall;
	uint64_t base, size;
	uint32_t first;

	g->ops->window(g->t, &base, &size, &first);
	struct lab_hc_info info = {
		.abi_version = LAB_HC_ABI_VERSION,
		.room_size = LAB_ROOM_SIZE,
		.window_base = base,
		.window_size = size,
		.rooms_total = h->rooms,
		.rooms_free = info_free(g, g->ops->space(g->t)),
		.rooms_reserved = g->ops->reserved ? g->ops->reserved(g->t) : h->reserve,
		.guest_id = lease_of(g),
		.corridors = h->corridors,
		.pressure_vector = g->ops->pressure_vector ? g->ops->pressure_vector(g->t) : 0,
	};
	__builtin_memcpy(u, &info, sizeof(info));
	return LAB_HC_OK;
}

/*
 * The guest's max (shared/limits.c): how many of @want may be claimed, or
 * LAB_HC_EDQUOT / LAB_HC_ENOMEM when none; *@floor what the claim leaves
 * for everyone's guarantees (rooms within the guest's own may go past the
 * reserve: they were set aside for it).
 */
static int64_t limits_take(struct lab_caller *c, unsigned int want, unsigned int need,
			   struct lab_floor *floor)
{
	struct labyrinth *lab = c->guest->lab;
	struct lab_grant g = lab_limits_take(lab, lab->guest, want, floor);

	c->limited += g.cut != 0;
	if (g.rooms && g.rooms >= need)
		return g.rooms;
	lab_limits_return(lab, lab->guest, g.rooms);
	return g.cut ? g.cut : LAB_HC_ENOMEM;
}

/* The least a claim of @count takes: all of it with ALL_OR_NOTHING. */
static unsigned int claim_need(const struct lab_hc *hc, unsigned int count)
{
	return hc->flags & LAB_HC_ALL_OR_NOTHING ? count : 1;
}

/*
 * What both claims check before they take anything, in this order: the
 * flags and corridor (LAB_HC_EINVAL), the guest's list (LAB_HC_EFAULT, else
 * @out), and whether @want of the rooms or districts asked for may be had
 * at all (LAB_HC_ENOMEM).
 */
static int64_t claim_check(const struct lab_guest *g, const struct lab_hc *hc,
			   unsigned int want, uint32_t *corridor, uint64_t **out)
{
	*corridor = (hc->flags >> LAB_HC_CORRIDOR_SHIFT) & 0xff;
	if (hc->flags & ~LAB_HC_FLAGS_VALID || *corridor >= g->corridors)
		return LAB_HC_EINVAL;
	*out = g->ops->room_list(g->t, hc->rooms_gpa, hc->count);
	if (!*out)
		return LAB_HC_EFAULT;
	if (!want || (hc->flags & LAB_HC_ALL_OR_NOTHING && want < hc->count))
		return LAB_HC_ENOMEM;
	return LAB_HC_OK;
}

static int64_t call_claim(struct lab_caller *c, const struct lab_hc *hc)
{
	struct lab_guest *g = c->guest;
	uint32_t corridor, space = g->ops->space(g->t);
	unsigned int want = hc->count < space ? hc->count : space, n;
	unsigned int flags = hc->flags & CLAIM_FLAGS;
	struct lab_floor floor;
	int64_t allowed, rc;
	uint64_t *out, base, size;
	uint32_t first;

	rc = claim_check(g, hc, want, &corridor, &out);
	if (rc)
		return rc;
	allowed = limits_take(c, want, claim_need(hc, hc->count), &floor);
	if (allowed <= 0)
		return allowed;
	n = claims_in_extent(g) ? g->ops->claim(g->t, &c->cursor, flags, (unsigned int)allowed,
						c->rooms)
				: lab_claim_floored(&c->cursor, flags, corridor, (unsigned int)allowed,
						    c->rooms, &floor);
	lab_limits_return(g->lab, lease_of(g), (unsigned int)allowed - n);
	if (!n)
		return LAB_HC_ENOMEM;
	if (g->ops->reach(g->t, c->rooms, n)) {
		/* The guest may have touched what was briefly reachable. */
		lab_release(&c->cursor, c->rooms, n);
		lab_limits_return(g->lab, lease_of(g), n);
		return LAB_HC_ENOMEM;
	}
	g->ops->window(g->t, &base, &size, &first);
	for (unsigned int i = 0; i < n; i++) {
		reach_set(g, c->rooms[i]);
		c->gpas[i] = base + ((uint64_t)(c->rooms[i] - first) << LAB_ROOM_SHIFT);
	}
	__builtin_memcpy(out, c->gpas, n * sizeof(uint64_t));
	return n;
}

/* A window address to its room: LAB_HC_ERANGE outside the window,
 * LAB_HC_EINVAL when not on a room's first byte. */
static int64_t room_at(uint64_t base, uint64_t size, uint32_t first, uint64_t gpa,
		       uint32_t *room)
{
	uint64_t off = gpa - base;

	if (gpa < base || off >= size)
		return LAB_HC_ERANGE;
	if (off & (LAB_ROOM_SIZE - 1))
		return LAB_HC_EINVAL;
	*room = first + (uint32_t)(off >> LAB_ROOM_SHIFT);
	return LAB_HC_OK;
}

typedef int64_t (*index_at)(uint64_t base, uint64_t size, uint32_t first,
				uint64_t gpa, uint32_t *index);

/* The guest's list of @hc's addresses, copied once (the guest may change
 * it meanwhile), each to its index by @at (room_at or district_at); the
 * first bad address's status. */
static inline int64_t list_indices(struct lab_caller *c, const struct lab_hc *hc,
				   index_at at, uint32_t *out)
{
	struct lab_guest *g = c->guest;
	uint64_t *in = g->ops->room_list(g->t, hc->rooms_gpa, hc->count), base, size;
	uint32_t first;
	int64_t rc;

	if (!in)
		return LAB_HC_EFAULT;
	__builtin_memcpy(c->gpas, in, hc->count * sizeof(uint64_t));
	g->ops->window(g->t, &base, &size, &first);
	for (unsigned int i = 0; i < hc->count; i++) {
		rc = at(base, size, first, c->gpas[i], &out[i]);
		if (rc)
			return rc;
	}
	return LAB_HC_OK;
}

static int64_t call_release(struct lab_caller *c, const struct lab_hc *hc)
{
	struct lab_guest *g = c->guest;
	unsigned int n = hc->count;
	int64_t rc = list_indices(c, hc, room_at, c->rooms);

	if (rc)
		return rc;
	rc = reach_take_all(g, c->rooms, n);
	if (rc)
		return rc;
	/* Checked with the rights taken: while the guest holds them, a
	 * district of its cannot turn whole or stop being so. */
	if (in_whole_district(g, c->rooms, n)) {
		reach_give_back(g, c->rooms, n);
		return LAB_HC_EBUSY;
	}
	/* Unreachable first: only then may the room be scrubbed and handed on. */
	g->ops->unreach(g->t, c->rooms, n);
	rc = lab_release_guest(&c->cursor, c->rooms, n);
	if (!rc)
		lab_limits_return(g->lab, lease_of(g), n);
	return rc;
}

/*
 * The districts: the same steps as CLAIM and RELEASE, a district at a
 * time: the rights to release (the reach bits) of all its rooms set after
 * it became reachable, taken before it stops being so; the guest's max
 * and the floors as for its rooms.
 */

/* Every room of district @d, in order, to c->rooms. */
static void district_rooms(struct lab_caller *c, uint32_t d)
{
	for (uint32_t i = 0; i < LAB_DISTRICT_ROOMS; i++)
		c->rooms[i] = d * LAB_DISTRICT_ROOMS + i;
}

/* The rights to release a district's rooms: its 8 reach words, whole. */
static _Atomic uint64_t *district_reach(struct lab_guest *g, uint32_t d)
{
	return &g->reach[(size_t)d * LAB_DISTRICT_ROOMS / 64];
}

static void district_reach_set(struct lab_guest *g, uint32_t d)
{
	for (uint32_t w = 0; w < LAB_DISTRICT_ROOMS / 64; w++)
		atomic_fetch_or_explicit(&district_reach(g, d)[w], ~0ull, memory_order_release);
}

/* All 512 rights of district @d taken, or none: 0 or why not. */
static int64_t district_reach_take(struct lab_guest *g, uint32_t d)
{
	_Atomic uint64_t *r = district_reach(g, d);

	for (uint32_t w = 0; w < LAB_DISTRICT_ROOMS / 64; w++) {
		uint64_t had = atomic_fetch_and_explicit(&r[w], 0, memory_order_acq_rel);

		if (had == ~0ull)
			continue;
		atomic_fetch_or_explicit(&r[w], had, memory_order_release);
		while (w--)
			atomic_fetch_or_explicit(&r[w], ~0ull, memory_order_release);
		return not_reached(g, d * LAB_DISTRICT_ROOMS + (uint32_t)__builtin_ctzll(~had));
	}
	return LAB_HC_OK;
}

/* Claimed whole and nobody saw them: back, as a failed CLAIM's rooms. */
static void districts_undo(struct lab_caller *c, unsigned int n)
{
	struct lab_guest *g = c->guest;

	lab_release_districts(&c->cursor, c->districts, n);
	lab_limits_return(g->lab, lease_of(g), n * LAB_DISTRICT_ROOMS);
}

/* Each district reachable, or none (those reached already unreached). */
static int64_t districts_reach(struct lab_caller *c, unsigned int n)
{
	struct lab_guest *g = c->guest;

	for (unsigned int i = 0; i < n; i++) {
		district_rooms(c, c->districts[i]);
		if (!g->ops->reach(g->t, c->rooms, LAB_DISTRICT_ROOMS))
			continue;
		while (i--) {
			district_rooms(c, c->districts[i]);
			g->ops->unreach(g->t, c->rooms, LAB_DISTRICT_ROOMS);
		}
		/* The guest may have touched what was briefly reachable. */
		districts_undo(c, n);
		return LAB_HC_ENOMEM;
	}
	return LAB_HC_OK;
}

static unsigned int districts_claim(struct lab_caller *c, const struct lab_hc *hc,
				    unsigned int n, uint32_t corridor,
				    const struct lab_floor *floor)
{
	struct lab_guest *g = c->guest;
	unsigned int flags = hc->flags & CLAIM_FLAGS;

	if (claims_in_extent(g))
		return g->ops->claim_districts ?
			g->ops->claim_districts(g->t, &c->cursor, flags, n, c->districts) : 0;
	return lab_claim_districts(&c->cursor, flags, corridor, n, c->districts, floor);
}

static int64_t call_claim_district(struct lab_caller *c, const struct lab_hc *hc)
{
	struct lab_guest *g = c->guest;
	uint32_t corridor, first, space = g->ops->space(g->t) / LAB_DISTRICT_ROOMS;
	unsigned int want = hc->count < space ? hc->count : space, n;
	struct lab_floor floor;
	int64_t allowed, rc;
	uint64_t *out, base, size;

	rc = claim_check(g, hc, want, &corridor, &out);
	if (rc)
		return rc;
	allowed = limits_take(c, want * LAB_DISTRICT_ROOMS,
			      claim_need(hc, hc->count) * LAB_DISTRICT_ROOMS, &floor);
	if (allowed <= 0)
		return allowed;
	/* What is less than a district goes back at once. */
	lab_limits_return(g->lab, lease_of(g), (unsigned int)allowed % LAB_DISTRICT_ROOMS);
	allowed /= LAB_DISTRICT_ROOMS;
	n = districts_claim(c, hc, (unsigned int)allowed, corridor, &floor);
	lab_limits_return(g->lab, lease_of(g),
			  ((unsigned int)allowed - n) * LAB_DISTRICT_ROOMS);
	if (!n)
		return LAB_HC_ENOMEM;
	rc = districts_reach(c, n);
	if (rc)
		return rc;
	g->ops->window(g->t, &base, &size, &first);
	for (unsigned int i = 0; i < n; i++) {
		district_reach_set(g, c->districts[i]);
		c->gpas[i] = base + ((uint64_t)(c->districts[i] * LAB_DISTRICT_ROOMS - first)
				     << LAB_ROOM_SHIFT);
	}
	__builtin_memcpy(out, c->gpas, n * sizeof(uint64_t));
	return n;
}

/* A window address to its district: room_at()'s errors, and LAB_HC_EINVAL
 * unless it is a district's first room (a district wholly in the window). */
static int64_t district_at(uint64_t base, uint64_t size, uint32_t first, uint64_t gpa,
			   uint32_t *district)
{
	uint32_t room;
	int64_t rc = room_at(base, size, first, gpa, &room);

	if (rc)
		return rc;
	if (room % LAB_DISTRICT_ROOMS || (gpa - base) % LAB_HC_DISTRICT_SIZE ||
	    size - (gpa - base) < LAB_HC_DISTRICT_SIZE)
		return LAB_HC_EINVAL;
	*district = room / LAB_DISTRICT_ROOMS;
	return LAB_HC_OK;
}

static void districts_give_back(struct lab_guest *g, const uint32_t *districts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		district_reach_set(g, districts[i]);
}

/* Every right of every district taken, each one claimed whole by this
 * guest; or nothing taken and why not. */
static int64_t districts_take(struct lab_guest *g, const uint32_t *districts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		int64_t rc = district_reach_take(g, districts[i]);

		if (!rc && lab_district_whole_of(g->lab, districts[i]) != lease_of(g)) {
			district_reach_set(g, districts[i]);
			rc = LAB_HC_EINVAL;	/* its rooms were claimed one by one */
		}
		if (rc) {
			districts_give_back(g, districts, i);
			return rc;
		}
	}
	return LAB_HC_OK;
}

static int64_t call_release_district(struct lab_caller *c, const struct lab_hc *hc)
{
	struct lab_guest *g = c->guest;
	unsigned int n = hc->count;
	int64_t rc;

	if (hc->flags)
		return LAB_HC_EINVAL;
	rc = list_indices(c, hc, district_at, c->districts);
	if (rc)
		return rc;
	rc = districts_take(g, c->districts, n);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < n; i++) {
		district_rooms(c, c->districts[i]);
		g->ops->unreach(g->t, c->rooms, LAB_DISTRICT_ROOMS);
	}
	rc = lab_release_districts(&c->cursor, c->districts, n);
	if (!rc)
		lab_limits_return(g->lab, lease_of(g), n * LAB_DISTRICT_ROOMS);
	return rc;
}

void lab_caller_flush(struct lab_caller *c)
{
	struct labyrinth *lab = c->guest->lab;
	struct lab_tally *t;

	if (lab->guest >= LAB_MAX_GUESTS)
		return;
	t = &lab->hall->lease[lab->guest].tally;
	atomic_fetch_add_explicit(&t->claimed, c->claimed, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->released, c->released, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->refused, c->refused, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->limited, c->limited, memory_order_relaxed);
	c->claimed = c->released = c->refused = c->limited = 0;
}

/* Counting is a private increment; the lease sees it in batches. */
static void tally(struct lab_caller *c, const struct lab_hc *hc, int64_t rc)
{
	uint32_t unit = hc->call == LAB_HC_CLAIM || hc->call == LAB_HC_RELEASE ?
				1 : LAB_DISTRICT_ROOMS;
	bool claim = hc->call == LAB_HC_CLAIM || hc->call == LAB_HC_CLAIM_DISTRICT;

	if (claim && rc > 0)
		c->claimed += (uint32_t)rc * unit;
	else if (claim)
		c->refused++;
	else if (rc == 0)
		c->released += hc->count * unit;
	if (hc->cached != c->cached) {	/* the guest's word, shown as it is */
		c->cached = hc->cached;
		lab_limits_report_cached(c->guest->lab, lease_of(c->guest), hc->cached);
	}
	if (c->claimed + c->released + c->refused >= LAB_TALLY_BATCH)
		lab_caller_flush(c);
}

/*
 * The message is the guest's and goes into the monitor's one-line error
 * and serve's log: a newline would let the guest write lines of its own
 * (a forged "vmm: ..." line), an escape would reach the operator's
 * terminal. Anything but printable ASCII becomes '?'.
 */
static int64_t call_panic(struct lab_caller *c, const void *u)
{
	__builtin_memcpy(c->panic_message, u, sizeof(c->panic_message));
	c->panic_message[sizeof(c->panic_message) - 1] = 0;
	for (unsigned char *m = (unsigned char *)c->panic_message; *m; m++)
		if (*m < 0x20 || *m > 0x7e)
			*m = '?';
	c->panicked = true;
	return LAB_HC_OK;
}

static int64_t batch_check(const struct lab_hc *hc)
{
	uint32_t max = hc->call == LAB_HC_CLAIM || hc->call == LAB_HC_RELEASE ?
			       LAB_HC_BATCH_MAX : LAB_HC_DISTRICT_BATCH_MAX;

	if (hc->count == 0)
		return LAB_HC_EINVAL;
	return hc->count > max ? LAB_HC_E2BIG : LAB_HC_OK;
}

int64_t lab_dispatch(struct lab_caller *c, const struct lab_hc *hc, void *u)
{
	int64_t rc;

	switch (hc->call) {
	case LAB_HC_NULL:
		return LAB_HC_OK;
	case LAB_HC_INFO:
		return call_info(c, u);
	case LAB_HC_PANIC:
		return call_panic(c, u);
	case LAB_HC_CLAIM:
	case LAB_HC_RELEASE:
	case LAB_HC_CLAIM_DISTRICT:
	case LAB_HC_RELEASE_DISTRICT:
		rc = batch_check(hc);
		if (rc)
			return rc;
		rc = hc->call == LAB_HC_CLAIM ? call_claim(c, hc) :
		     hc->call == LAB_HC_RELEASE ? call_release(c, hc) :
		     hc->call == LAB_HC_CLAIM_DISTRICT ? call_claim_district(c, hc) :
		     call_release_district(c, hc);
		tally(c, hc, rc);
		/* A held district is invisible to other claimers and a caller
		 * may not come back for long: none is kept across calls.  Its
		 * budget is (budget.c): the rooms it released, at most
		 * LAB_COUNT_BATCH, reused by its next claim without a step on
		 * the shared count; lab_cursor_park() when it stops. */
		/* Nor, under pressure, the rooms it released for its own next
		 * claim (reuse.c) or its count of them (budget.c): another may
		 * need them now, and an idle vCPU never hears that one starved.
		 * Parking gives all three back. */
		if (lab_pressure_now(c->guest->lab))
			lab_cursor_park(&c->cursor);
		else
			lab_district_leave(lab_cur(&c->cursor));
		return rc;
	default:
		return LAB_HC_ENOSYS;
	}
}
