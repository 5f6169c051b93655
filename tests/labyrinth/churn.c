// SPDX-License-Identifier: MIT
/*
 * churn.c - see churn.h.  One clock: bench_guard's (monotonic wall time,
 * thread CPU time), and its quiet guard and medians.  The guest's time
 * inside lab_release comes from the TSC, calibrated against that clock
 * over the same pass; an empty bracket's cost is in it (churn_bracket_ns).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "handle.h"	/* builds its handles by hand */
#include "bench_guard.h"
#include "test_median.h"
#include "churn.h"

#define ROOMS_PER_REP	(1l << 18)	/* rooms each thread claims per repetition */
#define BRACKETED_SHARE	4		/* the release pass: 1/4 as many */
#define FILL_VCPU	999
#define SCRUB_VCPU	998
#define WORKER_VCPU	(LAB_MAX_VCPUS - 1)
#define WORKER_NICE	10
#define WORKER_IDLE_NS	1000000l
#define MAX_CORES	2

const char *const churn_mode_names[CHURN_MODES] = { "release", "worker", "claimer" };

void churn_cell_name(const struct churn_cell *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s.b%u.r%u.f%u.t%d", churn_mode_names[c->mode],
		 c->batch, c->ring, c->fill, c->threads);
}

bool churn_wanted(const char *name, char *const *pick, int n)
{
	for (int i = 0; i < n; i++)
		if (strstr(name, pick[i]))
			return true;
	return n == 0;
}

/* A labyrinth with a pool, in this process's memory. */
struct hall {
	struct labyrinth m;
	void *mem;
	uint8_t *pool;
	uint32_t rooms;
};

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED) {
		perror("churn: mmap");
		exit(1);
	}
	return p;
}

static void churn_map(const struct churn_core *k, struct hall *h, uint32_t rooms)
{
	struct lab_geometry geo = { rooms, 1, 0 };

	h->rooms = rooms;
	h->mem = map(k->hall_size(&geo));
	h->pool = map((size_t)rooms * LAB_ROOM_SIZE);
}

/*
 * Every room claimed, then a random (fixed seed) set released: @fill %
 * claimed once @held rooms (the rings) are taken too.  The released rooms
 * are zeroed before the cell starts, whatever the mode: the pool holds
 * the last cell's stamps.
 */
static void churn_fill(const struct churn_core *k, struct hall *h,
		      enum churn_mode mode, unsigned int fill, uint32_t held)
{
	struct lab_geometry geo = { h->rooms, 1, 0 };
	uint32_t *all = malloc((h->rooms + LAB_HC_BATCH_MAX) * sizeof(*all));
	uint32_t keep = (uint32_t)((uint64_t)h->rooms * fill / 100), got = 0;
	unsigned int seed = 28;
	struct lab_cursor cur;

	memset(h->mem, 0, k->hall_size(&geo));
	if (k->hall_format(h->mem, &geo) || k->bind(&h->m, h->mem, h->pool, 0))
		abort();
	h->m.scrub_at_release = mode == CHURN_RELEASE;
	k->cursor_init(&cur, &h->m, FILL_VCPU);
	while (got < h->rooms)
		got += k->claim(&cur, LAB_GFP_ATOMIC, 0, LAB_HC_BATCH_MAX, all + got);
	for (uint32_t i = h->rooms - 1; i > 0; i--) {
		uint32_t j = (uint32_t)rand_r(&seed) % (i + 1), t = all[i];

		all[i] = all[j];
		all[j] = t;
	}
	keep = keep > held ? keep - held : 0;
	for (uint32_t i = keep; i < h->rooms; i++)
		if (k->release(&cur, &all[i], 1))
			abort();
	k->park(&cur);
	k->cursor_init(&cur, &h->m, SCRUB_VCPU);
	while (k->scrub(&cur, LAB_HC_BATCH_MAX))
		;
	k->park(&cur);
	free(all);
}

static uint32_t churn_dirty(const struct churn_core *k, struct hall *h)
{
	struct lab_census c;

	k->census(&h->m, &c);
	return c.dirty;
}

/* ---- the background worker: vmm/host/scrubber.c's loop ---- */

struct worker {
	const struct churn_core *k;
	struct hall *h;
	pthread_t thread;
	clockid_t clock;
	_Atomic bool stop;
	_Atomic long zeroed;
};

static void *worker_loop(void *arg)
{
	struct worker *w = arg;
	struct timespec idle = { 0, WORKER_IDLE_NS };
	struct lab_cursor cur;

	setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE);
	w->k->cursor_init(&cur, &w->h->m, WORKER_VCPU);
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		unsigned int n = w->k->scrub(&cur, 64);

		atomic_fetch_add_explicit(&w->zeroed, n, memory_order_relaxed);
		if (!n)
			nanosleep(&idle, NULL);
	}
	w->k->park(&cur);
	return NULL;
}

static void worker_start(struct worker *w, const struct churn_core *k, struct hall *h)
{
	w->k = k;
	w->h = h;
	atomic_store(&w->stop, false);
	atomic_store(&w->zeroed, 0);
	if (pthread_create(&w->thread, NULL, worker_loop, w) ||
	    pthread_getcpuclockid(w->thread, &w->clock))
		abort();
}

static void worker_stop(struct worker *w)
{
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
}

/* ---- the guest threads ---- */

static pthread_barrier_t begin, end;

struct guest {
	const struct churn_core *k;
	struct hall *h;
	const struct churn_cell *c;
	uint32_t vcpu;
	double wall, cpu;		/* the timed pass */
	double release_ns;		/* the bracketed pass: inside lab_release */
	long bracketed;			/* rooms released in it */
	long dirty_claims;
	long refused;			/* claims that got nothing */
};


static void claim_batch(struct guest *g, struct lab_cursor *cur, uint32_t *out)
{
	unsigned int got = 0, k;

	while (got < g->c->batch) {
		long tries = 0;

		/* A claim that got nothing while rooms are free or dirty (the
		 * false "no exit") is counted, and made again. */
		while (!(k = g->k->claim(cur, LAB_GFP_ATOMIC, 0, g->c->batch - got,
					 out + got))) {
			g->refused++;
			if (++tries == 10000000) {
				fprintf(stderr, "churn: no room for 10^7 claims (fill too high)\n");
				abort();
			}
		}
		got += k;
	}
	/* What a guest does first with a page: touch it.  A room not zero
	 * here would be a dirty room handed out. */
	for (unsigned int i = 0; i < g->c->batch; i++) {
		uint64_t *p = (uint64_t *)(g->h->pool + (size_t)out[i] * LAB_ROOM_SIZE);

		g->dirty_claims += *p != 0;
		*p = out[i] + 1;
	}
}

static void *guest_loop(void *arg)
{
	struct guest *g = arg;
	unsigned int b = g->c->batch, slots = g->c->ring;
	long ops = ROOMS_PER_REP / b;
	uint32_t *ring = malloc((size_t)slots * b * sizeof(*ring));
	struct lab_cursor cur;
	uint64_t ticks = 0, t0;
	double w0, c0;

	g->k->cursor_init(&cur, &g->h->m, g->vcpu);
	for (uint32_t s = 0; s < slots; s++)
		claim_batch(g, &cur, ring + s * b);
	pthread_barrier_wait(&begin);
	w0 = wall_ns();
	c0 = thread_cpu_ns();
	for (long i = 0; i < ops; i++) {
		uint32_t *slot = ring + (uint32_t)(i % slots) * b;

		g->k->release(&cur, slot, b);
		claim_batch(g, &cur, slot);
	}
	g->cpu = thread_cpu_ns() - c0;
	g->wall = wall_ns() - w0;
	pthread_barrier_wait(&end);
	/* The release alone, bracketed (after the timed pass: the brackets
	 * cost more than a dirty release). */
	w0 = wall_ns();
	t0 = __rdtsc();
	for (long i = 0; i < ops / BRACKETED_SHARE; i++) {
		uint32_t *slot = ring + (uint32_t)(i % slots) * b;
		uint64_t a = __rdtsc();

		g->k->release(&cur, slot, b);
		ticks += __rdtsc() - a;
		claim_batch(g, &cur, slot);
	}
	g->release_ns = (double)ticks * (wall_ns() - w0) / (double)(__rdtsc() - t0);
	g->bracketed = ops / BRACKETED_SHARE * b;
	for (uint32_t s = 0; s < slots; s++)
		g->k->release(&cur, ring + s * b, b);
	g->k->park(&cur);
	free(ring);
	return NULL;
}

/* ns of an empty bracket (rdtsc, rdtsc), which each release's figure
 * includes: the same for every mode, so ratios of it lean towards 1. */
double churn_bracket_ns(void)
{
	double v[GUARD_TRIES];

	for (int r = 0; r < GUARD_TRIES; r++) {
		uint64_t sum = 0, t0 = __rdtsc();
		double w0 = wall_ns();

		for (int i = 0; i < 100000; i++) {
			uint64_t a = __rdtsc();

			sum += __rdtsc() - a;
		}
		v[r] = (double)sum / 100000 * (wall_ns() - w0) / (double)(__rdtsc() - t0);
	}
	return median_of(v, GUARD_TRIES);
}

/* One repetition of a cell: @halls are 1 (t1), or 1 shared by two
 * threads, or 2 private ones (the control). */
struct rep {
	double wall, cpu, worker_cpu, release;
	double by_release, by_worker, by_claimer;
	double share;
	long dirty_claims, refused;
};

static void run_rep(const struct churn_core *k, struct hall **halls, int nhalls,
		    const struct churn_cell *c, struct rep *out)
{
	struct guest g[2];
	struct worker w[2];
	int threads = c->threads, nw = c->mode == CHURN_WORKER ? nhalls : 0;
	uint32_t dirty0 = 0, dirty1 = 0;
	double wc0[2] = { 0 }, wc1[2] = { 0 }, rooms, released;
	long z0 = 0, z1 = 0;
	pthread_t t[2];

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < nw; i++)
		worker_start(&w[i], k, halls[i]);
	pthread_barrier_init(&begin, NULL, (unsigned int)threads + 1);
	pthread_barrier_init(&end, NULL, (unsigned int)threads + 1);
	for (int i = 0; i < threads; i++) {
		g[i] = (struct guest){ .k = k, .h = halls[nhalls == 2 ? i : 0], .c = c,
				       .vcpu = (uint32_t)i };
		if (pthread_create(&t[i], NULL, guest_loop, &g[i]))
			abort();
	}
	for (int i = 0; i < nhalls; i++)
		dirty0 += churn_dirty(k, halls[i]);
	pthread_barrier_wait(&begin);
	for (int i = 0; i < nw; i++) {
		wc0[i] = clock_ns(w[i].clock);
		z0 += atomic_load(&w[i].zeroed);
	}
	pthread_barrier_wait(&end);
	for (int i = 0; i < nw; i++) {
		wc1[i] = clock_ns(w[i].clock);
		z1 += atomic_load(&w[i].zeroed);
	}
	for (int i = 0; i < nhalls; i++)
		dirty1 += churn_dirty(k, halls[i]);	/* the threads release on */
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < nw; i++)
		worker_stop(&w[i]);
	pthread_barrier_destroy(&begin);
	pthread_barrier_destroy(&end);

	rooms = (double)(ROOMS_PER_REP / c->batch * c->batch) * threads;
	out->share = 1;
	for (int i = 0; i < threads; i++) {
		double s = g[i].cpu / g[i].wall;

		out->wall = g[i].wall > out->wall ? g[i].wall : out->wall;
		out->cpu += g[i].cpu;
		out->release += g[i].release_ns / (double)g[i].bracketed / threads;
		out->dirty_claims += g[i].dirty_claims;
		out->refused += g[i].refused;
		out->share = s < out->share ? s : out->share;
	}
	out->wall /= rooms;
	out->cpu /= rooms;
	for (int i = 0; i < nw; i++)
		out->worker_cpu += (wc1[i] - wc0[i]) / rooms;
	/* Who zeroed the rooms released in the timed pass: the release, the
	 * worker (its count), or claimers (the rest, less what is left dirty;
	 * the census runs beside the threads, so the split is approximate). */
	released = rooms;
	if (c->mode == CHURN_RELEASE) {
		out->by_release = 1;
	} else {
		out->by_worker = (double)(z1 - z0) / released;
		out->by_claimer = (released - (double)(z1 - z0) -
				   ((double)dirty1 - (double)dirty0)) / released;
	}
}

static struct hall halls[MAX_CORES][3];

void churn_measure(const struct churn_core *const *cores, int n,
		   const struct churn_cell *c, uint32_t rooms,
		   struct churn_figures *out)
{
	uint32_t held = c->ring * c->batch;
	static struct rep r[MAX_CORES][2][GUARD_TRIES];
	bool clean[MAX_CORES][GUARD_TRIES];
	int reps = 0, nclean = 0;

	memset(r, 0, sizeof(r));
	for (int i = 0; i < n; i++) {
		int need = c->threads == 2 ? 3 : 1;

		for (int j = 0; j < need; j++)
			if (!halls[i][j].pool || halls[i][j].rooms != rooms)
				churn_map(cores[i], &halls[i][j], rooms);
		/* the shared hall holds both rings; each private one, one */
		churn_fill(cores[i], &halls[i][0], c->mode, c->fill, held * (uint32_t)c->threads);
		if (c->threads == 2) {
			churn_fill(cores[i], &halls[i][1], c->mode, c->fill, held * 2);
			churn_fill(cores[i], &halls[i][2], c->mode, c->fill, held * 2);
		}
	}
	while (guard_more(nclean, reps)) {
		bool ok = true;

		for (int j = 0; j < n; j++) {
			int i = reps % 2 ? n - 1 - j : j;	/* alternate who goes first */
			struct hall *one[1] = { &halls[i][0] };
			struct hall *two[2] = { &halls[i][1], &halls[i][2] };
			struct guard_rep g = { .quiet_before = guard_wait_quiet() };
			struct guard_snap a, b;

			guard_snap(&a);
			run_rep(cores[i], one, 1, c, &r[i][0][reps]);
			g.min_share = r[i][0][reps].share;
			if (c->threads == 2) {
				run_rep(cores[i], two, 2, c, &r[i][1][reps]);
				if (r[i][1][reps].share < g.min_share)
					g.min_share = r[i][1][reps].share;
			}
			guard_snap(&b);
			g.others = guard_others(&a, &b);
			clean[i][reps] = guard_clean(&g);
			ok &= clean[i][reps];
		}
		nclean += ok;
		reps++;
	}
	for (int i = 0; i < n; i++) {
		double v[GUARD_TRIES];
		struct churn_figures *f = &out[i];

		memset(f, 0, sizeof(*f));
#define PICK(field, k) ({						\
		for (int q = 0; q < reps; q++)				\
			v[q] = r[i][k][q].field;			\
		guard_pick(v, clean[i], reps); })
		f->wall = PICK(wall, 0);
		f->cpu = PICK(cpu, 0);
		f->worker_cpu = PICK(worker_cpu, 0);
		for (int q = 0; q < reps; q++)
			v[q] = r[i][0][q].cpu + r[i][0][q].worker_cpu;
		f->total_cpu = guard_pick(v, clean[i], reps);
		f->release = PICK(release, 0);
		f->by_release = PICK(by_release, 0);
		f->by_worker = PICK(by_worker, 0);
		f->by_claimer = PICK(by_claimer, 0);
		if (c->threads == 2)
			f->control_wall = PICK(wall, 1);
#undef PICK
		for (int q = 0; q < reps; q++) {
			f->dirty_claims += r[i][0][q].dirty_claims + r[i][1][q].dirty_claims;
			f->refused += r[i][0][q].refused + r[i][1][q].refused;
		}
		for (int q = 0; q < reps; q++)
			f->clean += clean[i][q];
		f->reps = reps;
	}
}
