/*
 * test_limits_race.c - the min and the reserve under vCPUs claiming at
 * once, through the real dispatcher: guest A's vCPUs (4, 8, 16 threads,
 * one caller each) claim GFP_NORMAL until refused, all released between
 * rounds, 50 rounds.  A never holds more than the rooms less the reserve
 * less guest B's unmet min (B holds nothing), so B can always claim its
 * whole min; and without a guarantee, GFP_NORMAL never takes the reserve.
 * A metadata-only labyrinth (no pool) and the transport that lends
 * nothing (tests/lib/lending.c): what is timed by nobody, checked by
 * counts.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "slot.h"
#include "handle.h"
#include "lending.h"

#define ROOMS	16384u
#define RESERVE	1024u
#define MIN_B	2048u
#define ROUNDS	50
#define VCPUS_MAX 16

/* A vCPU: a transport state and a lab_guest of its own (the room list is
 * per call), the guest's held bitmap shared. */
struct vcpu {
	struct lab_guest g;
	struct lab_caller caller;
	struct lending w;
	uint32_t rooms[ROOMS];
	uint32_t n;
};

static struct labyrinth *a, *b;
static _Atomic uint64_t *held_a, *held_b;
static struct vcpu vcpus[VCPUS_MAX];
static pthread_barrier_t start;

/* A second handle on the same hall, bound as guest @guest. */
static struct labyrinth *beside(struct labyrinth *m, uint32_t guest)
{
	struct labyrinth *o = calloc(1, sizeof(*o));

	cr_assert_not_null(o);
	cr_assert_eq(lab_bind(o, m->hall, NULL, guest), 0);
	return o;
}

static void vcpu_init(struct vcpu *v, struct labyrinth *lab, _Atomic uint64_t *held,
		      uint32_t id)
{
	memset(&v->w, 0, sizeof(v->w));
	v->w.space = ROOMS;
	v->n = 0;
	lab_guest_init(&v->g, lab, &lending_nothing, &v->w, held);
	lab_caller_init(&v->caller, &v->g, id);
}

static void setup(void)
{
	a = lending_labyrinth(ROOMS);
	a->hall->reserve = RESERVE;
	b = beside(a, 1);
	lab_slot_fill(a, 0, 1);
	lab_slot_fill(a, 1, 2);
	held_a = calloc(lab_reach_words(a), sizeof(*held_a));
	held_b = calloc(lab_reach_words(b), sizeof(*held_b));
}

TestSuite(limits_race, .init = setup, .timeout = 120);

/* Claims GFP_NORMAL batches of 64 until refused; the rooms kept. */
static void *greedy(void *arg)
{
	struct vcpu *v = arg;

	pthread_barrier_wait(&start);
	for (;;) {
		int64_t got = lending_call(&v->caller, LAB_HC_CLAIM, 0, 64);

		if (got <= 0)
			break;
		for (int64_t i = 0; i < got; i++)
			v->rooms[v->n++] = (uint32_t)(v->w.list[i] / LAB_ROOM_SIZE);
	}
	return NULL;
}

static void release_all(struct vcpu *v)
{
	for (uint32_t i = 0; i < v->n; i += 64) {
		uint32_t k = v->n - i < 64 ? v->n - i : 64;

		for (uint32_t j = 0; j < k; j++)
			v->w.list[j] = (uint64_t)v->rooms[i + j] * LAB_ROOM_SIZE;
		cr_assert_eq(lending_call(&v->caller, LAB_HC_RELEASE, 0, k), 0);
	}
	v->n = 0;
	lab_cursor_park(&v->caller.cursor);
}

/* One round: @nv vCPUs of A at once; what they got in all. */
static uint32_t round_of(unsigned int nv)
{
	pthread_t t[VCPUS_MAX];
	uint32_t total = 0;

	pthread_barrier_init(&start, NULL, nv);
	for (unsigned int i = 0; i < nv; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, greedy, &vcpus[i]), 0);
	for (unsigned int i = 0; i < nv; i++) {
		pthread_join(t[i], NULL);
		total += vcpus[i].n;
	}
	pthread_barrier_destroy(&start);
	return total;
}

static void vcpus_init(unsigned int nv)
{
	for (unsigned int i = 0; i < nv; i++)
		vcpu_init(&vcpus[i], a, held_a, i);
}

/* B claims its whole min (its vCPU 0), and gives it back. */
static void b_gets_its_min(unsigned int nv, int round)
{
	static struct vcpu vb;

	vcpu_init(&vb, b, held_b, 0);
	while (vb.n < MIN_B) {
		int64_t got = lending_call(&vb.caller, LAB_HC_CLAIM, 0,
					   MIN_B - vb.n < 64 ? MIN_B - vb.n : 64);

		if (got <= 0)
			break;
		for (int64_t i = 0; i < got; i++)
			vb.rooms[vb.n++] = (uint32_t)(vb.w.list[i] / LAB_ROOM_SIZE);
	}
	cr_expect_eq(vb.n, MIN_B, "%u vCPUs, round %d: B got %u of its min %u", nv, round,
		     vb.n, MIN_B);
	release_all(&vb);
}

static void races(unsigned int nv, bool min)
{
	uint32_t most = ROOMS - RESERVE - (min ? MIN_B : 0);

	cr_assert_eq(lab_limits_set(b, 1, LAB_UNLIMITED, min ? MIN_B : 0), 0);
	vcpus_init(nv);
	for (int r = 0; r < ROUNDS; r++) {
		uint32_t total = round_of(nv);

		cr_expect_leq(total, most, "%u vCPUs, round %d: A took %u rooms, at most %u "
			      "are its to take", nv, r, total, most);
		if (min)
			b_gets_its_min(nv, r);
		for (unsigned int i = 0; i < nv; i++)
			release_all(&vcpus[i]);
	}
}

Test(limits_race, another_guests_min_holds_under_4_vcpus) { races(4, true); }
Test(limits_race, another_guests_min_holds_under_8_vcpus) { races(8, true); }
Test(limits_race, another_guests_min_holds_under_16_vcpus) { races(16, true); }
Test(limits_race, the_reserve_holds_under_4_vcpus) { races(4, false); }
Test(limits_race, the_reserve_holds_under_8_vcpus) { races(8, false); }
Test(limits_race, the_reserve_holds_under_16_vcpus) { races(16, false); }
