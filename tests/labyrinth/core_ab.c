/*
 * core_ab.c - what one single-vCPU claim costs through the dispatcher, the
 * labyrinth's core of two versions in one process (core_ab.sh builds them
 * with their symbols prefixed a_ and b_): claim + release of one room, a
 * ring of 32, a metadata-only labyrinth of 262144 rooms, the transport
 * that lends nothing (tests/lib/lending.c); .unlimited with no limit
 * anywhere, .limited with a max this guest never reaches and another
 * guest's min.  The two versions run
 * in turns (which one first alternates), so the machine's drift falls on
 * both; thread CPU time per operation, medians, and the ratio b/a.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handle.h"	/* its handles are made here, by hand */
#include "lending.h"
#include "test_clock.h"
#include "test_median.h"

#define ROOMS	262144u
#define RING	32u
#define OPS	200000L
#define REPS	41

struct side {
	struct labyrinth m;
	struct lending w;
	struct lab_guest g;
	struct lab_caller c;
	uint64_t ring[RING];
};

/* One version's entry points and its run, under prefix P. */
#define VERSION(P)								\
size_t P##lab_hall_size(const struct lab_geometry *geo);			\
int P##lab_hall_format(void *mem, const struct lab_geometry *geo);		\
int P##lab_bind(struct labyrinth *lab, void *hall, void *pool, uint32_t g);	\
void P##lab_slot_fill(struct labyrinth *lab, uint32_t g, uint64_t word);	\
int P##lab_limits_set(struct labyrinth *lab, uint32_t g, uint32_t max,	\
		      uint32_t min);						\
void P##lab_guest_init(struct lab_guest *g, struct labyrinth *lab,		\
		       const struct lab_transport *ops, void *t,		\
		       _Atomic uint64_t *held);					\
void P##lab_caller_init(struct lab_caller *c, struct lab_guest *g,		\
			uint32_t vcpu);						\
int64_t P##lab_dispatch(struct lab_caller *c, const struct lab_hc *hc,	\
			void *u);						\
										\
static int64_t P##call(struct side *s, uint32_t nr)				\
{										\
	struct lab_hc hc = { .call = nr, .count = 1 };				\
										\
	return P##lab_dispatch(&s->c, &hc, hc.u.panic);				\
}										\
										\
static void P##init(struct side *s, int limited)				\
{										\
	struct lab_geometry geo = { ROOMS, 1, 0 };				\
	size_t len = P##lab_hall_size(&geo);					\
	void *hall = aligned_alloc(4096, len);					\
										\
	memset(hall, 0, len);							\
	if (P##lab_hall_format(hall, &geo) || P##lab_bind(&s->m, hall, NULL, 0))	\
		abort();							\
	P##lab_slot_fill(&s->m, 0, 1);						\
	P##lab_slot_fill(&s->m, 1, 2);						\
	if (limited) {								\
		P##lab_limits_set(&s->m, 0, ROOMS, 0);				\
		P##lab_limits_set(&s->m, 1, LAB_UNLIMITED, 1000);		\
	}									\
	s->w.space = UINT32_MAX;						\
	P##lab_guest_init(&s->g, &s->m, &lending_nothing, &s->w,		\
			  calloc((ROOMS + 63) / 64, sizeof(uint64_t)));  	\
	P##lab_caller_init(&s->c, &s->g, 0);					\
	for (uint32_t i = 0; i < RING; i++) {					\
		if (P##call(s, LAB_HC_CLAIM) != 1)				\
			abort();						\
		s->ring[i] = s->w.list[0];					\
	}									\
}										\
										\
static double P##run(struct side *s)						\
{										\
	double c0 = thread_cpu_ns();							\
										\
	for (long i = 0; i < OPS; i++) {					\
		s->w.list[0] = s->ring[i % RING];				\
		if (P##call(s, LAB_HC_RELEASE) || P##call(s, LAB_HC_CLAIM) != 1)	\
			abort();						\
		s->ring[i % RING] = s->w.list[0];				\
	}									\
	return (thread_cpu_ns() - c0) / OPS;						\
}

VERSION(a_)
VERSION(b_)

int main(int argc, char **argv)
{
	static struct side a[2], b[2];
	static double ta[2][REPS], tb[2][REPS], ratio[2][REPS];
	const char *names[2] = { "unlimited", "limited" };
	const char *as = argc > 2 ? argv[1] : "a", *bs = argc > 2 ? argv[2] : "b";

	for (int l = 0; l < 2; l++) {
		a_init(&a[l], l);
		b_init(&b[l], l);
	}
	for (int r = 0; r < REPS; r++)
		for (int l = 0; l < 2; l++) {
			if (r & 1) {
				ta[l][r] = a_run(&a[l]);
				tb[l][r] = b_run(&b[l]);
			} else {
				tb[l][r] = b_run(&b[l]);
				ta[l][r] = a_run(&a[l]);
			}
			ratio[l][r] = tb[l][r] / ta[l][r];
		}
	for (int l = 0; l < 2; l++) {
		printf("BENCH labyrinth.claim_release.t1.%s.%s.cpu %.2f ns\n", names[l], as,
		       median_of(ta[l], REPS));
		printf("BENCH labyrinth.claim_release.t1.%s.%s.cpu %.2f ns\n", names[l], bs,
		       median_of(tb[l], REPS));
		printf("BENCH labyrinth.claim_release.t1.%s.%s_over_%s %.3f x\n", names[l], bs,
		       as, median_of(ratio[l], REPS));
	}
	return 0;
}
