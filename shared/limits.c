// SPDX-License-Identifier: MIT
/*
 * limits.c - fair sharing: a max and a guaranteed min per lease, checked
 * lock-free by the dispatcher before it claims (labyrinth.h).
 *
 * A stored max of 0 means none (a fresh hall is zeroed); the API says
 * LAB_UNLIMITED, and a max of 0 rooms cannot be asked for.
 *
 * The max is exact: a claim first adds what it wants to the lease's @held
 * (one atomic RMW) and gives back what passes the max, so vCPUs claiming
 * at once can never together pass it.  The guarantees are exact too: the
 * others' unmet guarantees (read from the counters of the leases marked
 * in hall->guaranteed; none marked: one load) are a floor the claim
 * leaves in the free count, in the atomic step that takes its rooms out
 * of it (budget.c), so claims at once cannot pass it together.  An unmet
 * guarantee read a little high (its guest claiming meanwhile) only makes
 * the floor stricter.
 *
 * A borrower (a lease with districts lent: a QEMU peer of `serve`) claims
 * only in its extent, whose rooms are its alone: its claims meet its max
 * and nothing else, and its min, kept by the extent, neither counts in the
 * sum below nor holds back what the others may claim.
 *
 * Setting guarantees: a setter writes its min, then sums everyone's (seq_cst
 * both); if the sum passes the pool it puts its old value back.  Of two
 * setters racing, the later sum sees both writes, so they cannot both
 * succeed past the pool (they may both back off, and may try again).
 */
#include "lab_limits.h"

static struct lab_lease *lease(const struct labyrinth *lab, uint32_t guest)
{
	return guest < LAB_MAX_GUESTS ? &lab->hall->lease[guest] : 0;
}

/* A borrower's claims stay in its extent (extent.c): its min is kept
 * there, not by the rooms the others share. */
static bool borrows(const struct lab_lease *l)
{
	return atomic_load_explicit(&l->lent, memory_order_relaxed) != 0;
}

static uint64_t guarantees_sum(struct lab_hall *h)
{
	uint64_t sum = 0;

	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		if (!borrows(&h->lease[g]))
			sum += atomic_load(&h->lease[g].min);
	return sum;
}

static void guarantee_mark(struct lab_hall *h, uint32_t guest, uint32_t min)
{
	uint64_t bit = 1ull << guest;

	if (min)
		atomic_fetch_or(&h->guaranteed, bit);
	else
		atomic_fetch_and(&h->guaranteed, ~bit);
}

int lab_limits_set(struct labyrinth *lab, uint32_t guest, uint32_t max, uint32_t min)
{
	struct lab_hall *h = lab->hall;
	struct lab_lease *l = lease(lab, guest);
	uint64_t word;
	uint32_t old;

	if (!l || min > max || max == 0)
		return LAB_EINVAL;
	word = atomic_load(&l->word);
	if (!word)
		return LAB_ESRCH;
	/* A borrower's min is kept by its extent, and passes no sum below:
	 * more than the extent holds would be a promise nothing keeps. */
	if (borrows(l) &&
	    min > (uint64_t)atomic_load(&l->lent) * LAB_DISTRICT_ROOMS)
		return LAB_ENOSPC;
	old = atomic_exchange(&l->min, min);
	if (guarantees_sum(h) > (uint64_t)h->rooms - h->reserve) {
		atomic_store(&l->min, old);
		return LAB_ENOSPC;
	}
	guarantee_mark(h, guest, min);
	atomic_store(&l->max, max == LAB_UNLIMITED ? 0 : max);
	/* The lease ended meanwhile (lab_slot_clear clears the limits before
	 * and after it clears the word, so one of us sees the other): limits
	 * left on a free slot would hold rooms back for nobody. */
	if (atomic_load(&l->word) != word) {
		lab_limits_clear(lab, guest);
		return LAB_ESRCH;
	}
	return 0;
}

/* The ask word: the rooms + 1 (0: none) below LAB_ASK_BITS, room enough
 * for LAB_MAX_ROOMS + 1; the ask's number above, so that a server sees
 * the same size asked again as a new ask. */
#define LAB_ASK_BITS	27
#define LAB_ASK_ROOMS	((1u << LAB_ASK_BITS) - 1)
_Static_assert(LAB_MAX_ROOMS + 1 <= LAB_ASK_ROOMS, "an ask's rooms fit below its number");

static void ask_get(uint32_t word, struct lab_limits *out)
{
	out->asked = word & LAB_ASK_ROOMS ? (word & LAB_ASK_ROOMS) - 1 : LAB_NO_ASK;
	out->ask_number = word >> LAB_ASK_BITS;
}

void lab_limits_get(const struct labyrinth *lab, uint32_t guest, struct lab_limits *out)
{
	struct lab_lease *l = lease(lab, guest);

	*out = (struct lab_limits){ .max = LAB_UNLIMITED };
	if (!l)
		return;
	out->max = atomic_load(&l->max) ? atomic_load(&l->max) : LAB_UNLIMITED;
	out->min = atomic_load(&l->min);
	out->held = atomic_load(&l->held);
	out->cached = atomic_load(&l->cached);
	ask_get(atomic_load(&l->asked), out);
	out->unmet = atomic_load(&l->unmet);
}

void lab_limits_clear(struct labyrinth *lab, uint32_t guest)
{
	struct lab_lease *l = lease(lab, guest);

	if (!l)
		return;
	atomic_store(&l->min, 0);
	guarantee_mark(lab->hall, guest, 0);
	atomic_store(&l->max, 0);
	atomic_store(&l->held, 0);
	atomic_store(&l->cached, 0);
	atomic_store(&l->asked, 0);
	atomic_store(&l->unmet, 0);
}

/* Rooms the other guarantees still wait for. */
static int64_t others_unmet(struct lab_hall *h, uint64_t mask)
{
	int64_t unmet = 0;

	while (mask) {
		struct lab_lease *l = &h->lease[__builtin_ctzll(mask)];
		int64_t gap = (int64_t)atomic_load_explicit(&l->min, memory_order_relaxed) -
			      atomic_load_explicit(&l->held, memory_order_relaxed);

		mask &= mask - 1;
		unmet += gap > 0 && !borrows(l) ? gap : 0;
	}
	return unmet;
}

/*
 * The floor a claim of @guest leaves, @before being what it held: the
 * others' unmet mins, and its own unmet min, the part of the claim that
 * may go past the reserve.  Past it, a claim leaves every unmet min,
 * its own included (those rooms are in the free count too: counted
 * twice, a claim ran on into another's guarantee), and the reserve
 * unless GFP_ATOMIC (budget.c).
 */
static void guarantee_floor(struct lab_hall *h, struct lab_lease *l, uint32_t guest,
			    int64_t before, struct lab_floor *floor)
{
	uint64_t mask = atomic_load_explicit(&h->guaranteed, memory_order_relaxed) &
			~(1ull << guest);
	int64_t own = (int64_t)atomic_load_explicit(&l->min, memory_order_relaxed) - before;
	int64_t others = mask ? others_unmet(h, mask) : 0;

	floor->own = own > 0 ? (uint32_t)own : 0;
	floor->others = others > 0 ? (uint32_t)others : 0;
}

/*
 * After a lend by @guest (its rooms already out of the free count): are
 * the monitors still left every other unmet guarantee?  A lend takes
 * rooms from them as a claim would, and no claim of another guest, not
 * even GFP_ATOMIC, may take what a guarantee keeps (extent.c).
 */
bool lab_limits_lend_fits(struct lab_hall *h, uint32_t guest)
{
	uint64_t mask = atomic_load(&h->guaranteed) & ~(1ull << guest);

	return !mask || atomic_load(&h->free) - others_unmet(h, mask) >= 0;
}

struct lab_grant lab_limits_take(struct labyrinth *lab, uint32_t guest, unsigned int want,
				 struct lab_floor *floor)
{
	struct lab_lease *l = lease(lab, guest);
	struct lab_grant g = { want, 0 };
	int64_t before, max, over;

	*floor = (struct lab_floor){ 0, 0 };
	if (!l)
		return g;
	before = atomic_fetch_add(&l->held, want);
	max = atomic_load_explicit(&l->max, memory_order_relaxed);
	over = max ? before + want - max : 0;
	if (over > 0) {
		g.cut = LAB_EDQUOT;
		over = over < want ? over : want;
		g.rooms -= (unsigned int)over;
		atomic_fetch_sub(&l->held, over);
	}
	if (g.rooms && !borrows(l))	/* a borrower: the max alone, its extent is its own */
		guarantee_floor(lab->hall, l, guest, before, floor);
	return g;
}

void lab_limits_return(struct labyrinth *lab, uint32_t guest, unsigned int n)
{
	struct lab_lease *l = lease(lab, guest);

	if (l && n)
		atomic_fetch_sub(&l->held, n);
}

void lab_limits_report_cached(struct labyrinth *lab, uint32_t guest, uint32_t cached)
{
	struct lab_lease *l = lease(lab, guest);

	if (l)
		atomic_store_explicit(&l->cached, cached, memory_order_relaxed);
}

/* Stored + 1, so a zeroed slot has none, under the next ask number.  A
 * lease that ended meanwhile has its ask cleared again, as its limits
 * are. */
int lab_ask_set(struct labyrinth *lab, uint32_t guest, uint32_t rooms)
{
	struct lab_lease *l = lease(lab, guest);
	uint32_t was, ask;
	uint64_t word;

	if (!l || (rooms != LAB_NO_ASK && rooms > LAB_MAX_ROOMS))
		return LAB_EINVAL;
	word = atomic_load(&l->word);
	if (!word)
		return LAB_ESRCH;
	was = atomic_load(&l->asked);
	do
		ask = ((was >> LAB_ASK_BITS) + 1) << LAB_ASK_BITS |
		      (rooms == LAB_NO_ASK ? 0 : rooms + 1);
	while (!atomic_compare_exchange_weak(&l->asked, &was, ask));
	if (atomic_load(&l->word) != word) {
		lab_limits_clear(lab, guest);
		return LAB_ESRCH;
	}
	return 0;
}

void lab_ask_report_unmet(struct labyrinth *lab, uint32_t guest, uint32_t unmet)
{
	struct lab_lease *l = lease(lab, guest);

	if (l)
		atomic_store_explicit(&l->unmet, unmet, memory_order_relaxed);
}
