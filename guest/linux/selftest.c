// SPDX-License-Identifier: GPL-2.0
/*
 * The labyrinth's self-test, in KTAP on the kernel log. Rooms are taken
 * and freed from hrtimer callbacks on every online CPU at once and from
 * IPIs, each room filled with a pattern naming its CPU; a bitmap of the
 * labyrinth's room numbers sees a room handed out twice. Then the
 * labyrinth is exhausted: GFP_NORMAL must find NULL while the reserve is
 * left, GFP_ATOMIC exactly the reserve. mode=no_exit ends in the panic
 * instead; mode=hold keeps rooms (a guest killed holding them);
 * mode=hostile touches rooms it gave back, from every CPU at once.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "labyrinth_linux.h"

static char *mode = "test";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "test (KTAP), no_exit (exhaust, then the panic), hold (keep rooms), hostile (touch rooms given back)");
static unsigned int hold = 256;
module_param(hold, uint, 0444);
MODULE_PARM_DESC(hold, "rooms mode=hold keeps");

#define ROUNDS 200		/* hrtimer callbacks per CPU */
#define ROOMS_PER_ROUND 8
#define PERIOD_NS 200000
#define IPI_PAIRS 40
#define MAX_ROOMS (1 << 22)	/* room numbers the test tells apart: 16 GiB */
#define WORDS (4096 / sizeof(u64))

static struct labyrinth *maze;
static unsigned long *taken;		/* by room number, one bit a room */
static atomic_t violations;

struct cpu_run {
	struct hrtimer timer;
	int cpu;
	unsigned int round, held;
	void *room[ROOMS_PER_ROUND];
	u64 lat[ROUNDS * ROOMS_PER_ROUND];
	unsigned int nlat, failed;
	struct completion done;
};

static struct cpu_run __percpu *runs;
static int tests_run;

static void report(bool ok, const char *name)
{
	pr_info("%sok %d %s\n", ok ? "" : "not ", ++tests_run, name);
}

static void violation(const char *what, int cpu, void *room)
{
	atomic_inc(&violations);
	pr_info("# violation on CPU %d: %s (room %px)\n", cpu, what, room);
}

/* The labyrinth's own room number: a room seen twice is one room. */
static long bit_of(void *room, int cpu)
{
	long n = labyrinth_room_number(maze, room);

	if (n < 0 || n >= MAX_ROOMS)
		violation("a room the maze cannot name (or past the test's map)", cpu, room);
	return n < 0 || n >= MAX_ROOMS ? -1 : n;
}

static void *take(gfp_t gfp, int cpu)
{
	void *room = labyrinth_alloc_room(maze, gfp);
	long n = room ? bit_of(room, cpu) : -1;

	if (n >= 0 && test_and_set_bit(n, taken))
		violation("a room handed out twice", cpu, room);
	return room;
}

static void give(void *room, int cpu)
{
	long n = bit_of(room, cpu);

	if (n >= 0 && !test_and_clear_bit(n, taken))
		violation("a room freed that was not taken", cpu, room);
	dealloc_labyrinth_page_exclusive(maze, room);
}

static void fill(void *room, u64 tag)
{
	u64 *w = room;
	unsigned int k;

	for (k = 0; k < WORDS; k++)
		w[k] = tag ^ k;
}

static bool holds(void *room, u64 tag)
{
	u64 *w = room;
	unsigned int k;

	for (k = 0; k < WORDS; k++)
		if (w[k] != (tag ^ k))
			return false;
	return true;
}

static u64 tag_of(int cpu)
{
	return 0x4c41420000000000ull | ((u64)cpu << 32);
}

static void round_once(struct cpu_run *r)
{
	unsigned int k;

	for (k = 0; k < r->held; k++) {
		if (!holds(r->room[k], tag_of(r->cpu)))
			violation("another CPU's pattern in my room", r->cpu, r->room[k]);
		give(r->room[k], r->cpu);
	}
	r->held = 0;
	if (r->round++ == ROUNDS)
		return;
	for (k = 0; k < ROOMS_PER_ROUND; k++) {
		u64 t0 = ktime_get_ns();
		void *room = take(GFP_ATOMIC, r->cpu);

		r->lat[r->nlat++] = ktime_get_ns() - t0;
		if (!room) {
			r->failed++;
			continue;
		}
		fill(room, tag_of(r->cpu));
		r->room[r->held++] = room;
	}
}

static enum hrtimer_restart on_timer(struct hrtimer *t)
{
	struct cpu_run *r = container_of(t, struct cpu_run, timer);

	if (r->cpu != smp_processor_id())
		violation("a pinned timer ran elsewhere", r->cpu, NULL);
	round_once(r);
	if (r->round > ROUNDS) {
		complete(&r->done);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(t, ns_to_ktime(PERIOD_NS));
	return HRTIMER_RESTART;
}

static void start_timer(void *unused)
{
	struct cpu_run *r = this_cpu_ptr(runs);

	hrtimer_start(&r->timer, ns_to_ktime(PERIOD_NS), HRTIMER_MODE_REL_PINNED_HARD);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* p50 and p99 of every CPU's samples together. */
static void bench_latency(void)
{
	u64 *all = vmalloc(array_size(num_online_cpus(), sizeof(runs->lat)));
	unsigned int n = 0;
	int cpu;

	if (!all)
		return;
	for_each_online_cpu(cpu) {
		struct cpu_run *r = per_cpu_ptr(runs, cpu);

		memcpy(all + n, r->lat, r->nlat * sizeof(u64));
		n += r->nlat;
	}
	sort(all, n, sizeof(u64), cmp_u64, NULL);
	if (n)
		pr_info("# BENCH linux.alloc.hrtimer.p50 %llu ns\n", all[n / 2]);
	if (n)
		pr_info("# BENCH linux.alloc.hrtimer.p99 %llu ns\n", all[n * 99 / 100]);
	vfree(all);
}

static void test_hrtimers(void)
{
	struct labyrinth_stats a, b;
	unsigned int failed = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		struct cpu_run *r = per_cpu_ptr(runs, cpu);

		memset(r, 0, sizeof(*r));
		r->cpu = cpu;
		init_completion(&r->done);
		hrtimer_init(&r->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		r->timer.function = on_timer;
	}
	labyrinth_stats(maze, &a);
	on_each_cpu(start_timer, NULL, 1);
	for_each_online_cpu(cpu) {
		wait_for_completion(&per_cpu_ptr(runs, cpu)->done);
		failed += per_cpu_ptr(runs, cpu)->failed;
	}
	labyrinth_stats(maze, &b);
	pr_info("# %u CPUs, %u rooms each from %u hrtimer callbacks, %u not granted\n",
		num_online_cpus(), ROUNDS * ROOMS_PER_ROUND, ROUNDS, failed);
	report(!failed && !atomic_read(&violations), "hrtimer_every_cpu");
	bench_latency();
	if (b.magazine_hits + b.magazine_misses > a.magazine_hits + a.magazine_misses)
		pr_info("# BENCH linux.magazine.hit_rate %llu %%\n",
			100 * (b.magazine_hits - a.magazine_hits) /
			(b.magazine_hits + b.magazine_misses - a.magazine_hits - a.magazine_misses));
}

struct ipi_room {
	void *room;
	int from;
};

static void ipi_take(void *data)
{
	struct ipi_room *ir = data;

	ir->room = take(GFP_ATOMIC, smp_processor_id());
	if (ir->room)
		fill(ir->room, tag_of(smp_processor_id()));
}

static void ipi_give(void *data)
{
	struct ipi_room *ir = data;

	if (!holds(ir->room, tag_of(ir->from)))
		violation("the room lost its pattern between CPUs", smp_processor_id(), ir->room);
	give(ir->room, smp_processor_id());
}

static void test_ipi(void)
{
	unsigned int k, moved = 0;

	for (k = 0; k < IPI_PAIRS; k++) {
		int a = cpumask_nth(k % num_online_cpus(), cpu_online_mask);
		int b = cpumask_nth((k + 1) % num_online_cpus(), cpu_online_mask);
		struct ipi_room ir = { .from = a };

		smp_call_function_single(a, ipi_take, &ir, 1);
		if (!ir.room)
			continue;
		smp_call_function_single(b, ipi_give, &ir, 1);
		moved++;
	}
	report(moved == IPI_PAIRS && !atomic_read(&violations), "ipi_cross_cpu");
}

static void test_no_leak(const char *name)
{
	struct labyrinth_stats st;

	labyrinth_give_back(maze);
	labyrinth_stats(maze, &st);
	pr_info("# rooms handed %llu, held %llu, bad frees %llu\n", st.rooms_handed,
		st.rooms_held, st.bad_frees);
	report(!st.rooms_handed && !st.rooms_held && !st.bad_frees, name);
}

/* Every room the labyrinth gives for @gfp, into @rooms (at most @max). */
static unsigned int exhaust(gfp_t gfp, void **rooms, unsigned int n, unsigned int max)
{
	while (n < max && (rooms[n] = take(gfp, smp_processor_id())))
		n++;
	return n;
}

/*
 * The server looks at its peers' extents every few milliseconds, and a
 * guest that gave its rooms back at once could be gone from "low" before
 * it looked: the rooms are held until the pressure is heard, or 10 s.
 */
static void test_pressure(const struct labyrinth_stats *start)
{
	struct labyrinth_stats st;
	unsigned int waited_ms = 0;

	labyrinth_stats(maze, &st);
	while (st.pressure_episodes == start->pressure_episodes && waited_ms < 10000) {
		msleep(20);
		waited_ms += 20;
		labyrinth_stats(maze, &st);
	}
	pr_info("# pressure episodes %llu after %u ms, rooms given back %llu\n",
		st.pressure_episodes - start->pressure_episodes, waited_ms, st.rooms_given_back);
	report(st.pressure_episodes > start->pressure_episodes, "pressure_heard");
}

static void test_exhaustion(const struct labyrinth_stats *start)
{
	unsigned int max = MAX_ROOMS / 32, normal, atomic, k;
	void **rooms = kvmalloc_array(max, sizeof(void *), GFP_KERNEL);
	struct labyrinth_stats st, before, after;
	bool normal_null;
	u64 claims, misses;

	if (!rooms) {
		report(false, "exhaustion");
		return;
	}
	labyrinth_stats(maze, &st);
	preempt_disable();	/* one magazine: another CPU's would keep rooms */
	normal = exhaust(GFP_KERNEL, rooms, 0, max);
	labyrinth_stats(maze, &before);
	atomic = exhaust(GFP_ATOMIC, rooms, normal, max);
	labyrinth_stats(maze, &after);
	normal_null = !take(GFP_NOWAIT, smp_processor_id());
	preempt_enable();
	claims = after.claims - before.claims;
	pr_info("# GFP_KERNEL got %u rooms, then GFP_ATOMIC %u more (reserve %llu) in %llu claims "
		"over %llu extents\n", normal, atomic - normal, st.rooms_reserve, claims, st.extents);
	report(normal > 0 && normal_null, "normal_finds_null_at_the_reserve");
	report(atomic - normal == st.rooms_reserve && st.rooms_reserve > 0,
	       "atomic_takes_the_reserve");
	/* Each miss of the magazine is one refill, a claim of each extent
	 * until one grants (partially, perhaps: the mailbox grants within a
	 * district), and a refill brings more than one room: no claim of one
	 * room, none refused first. */
	misses = after.magazine_misses - before.magazine_misses;
	pr_info("# GFP_ATOMIC: %llu claims for %llu magazine misses\n", claims, misses);
	report(claims <= misses * st.extents && misses < atomic - normal,
	       "atomic_below_the_reserve_costs_one_claim_per_refill");
	test_pressure(start);
	for (k = 0; k < atomic; k++)
		give(rooms[k], smp_processor_id());
	kvfree(rooms);
}

/* A refill's round trip: the magazines emptied, one allocation misses. */
static void bench_refill(void)
{
	u64 t[15];
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(t); k++) {
		void *room;

		labyrinth_give_back(maze);
		preempt_disable();
		t[k] = ktime_get_ns();
		room = labyrinth_alloc_room(maze, GFP_KERNEL);
		t[k] = ktime_get_ns() - t[k];
		preempt_enable();
		if (room)
			dealloc_labyrinth_page_exclusive(maze, room);
	}
	labyrinth_give_back(maze);
	sort(t, ARRAY_SIZE(t), sizeof(u64), cmp_u64, NULL);
	pr_info("# BENCH linux.alloc.miss.p50 %llu ns\n", t[ARRAY_SIZE(t) / 2]);
}

/*
 * A district: 2 MiB whole, zero, the caller's to write, given back whole
 * (nothing held after), and refused the second time (the host says it is
 * no longer the guest's).
 */
static void test_district(void)
{
	void *d = labyrinth_alloc_district(maze, GFP_KERNEL);
	long room = d ? labyrinth_room_number(maze, d) : -1;
	bool ok = d && room % LABYRINTH_DISTRICT_ROOMS == 0 &&
		  !memchr_inv(d, 0, LABYRINTH_DISTRICT_SIZE);
	struct labyrinth_stats st;

	if (d) {
		memset(d, 0xd1, LABYRINTH_DISTRICT_SIZE);
		ok = labyrinth_free_district(maze, d) == 0 && ok;
		ok = labyrinth_free_district(maze, d) == -EINVAL && ok;
	}
	labyrinth_give_back(maze);
	labyrinth_stats(maze, &st);
	pr_info("# district at room %ld; rooms held %llu after its free\n", room, st.rooms_held);
	report(ok && !st.rooms_held, "district_whole_zero_and_given_back_once");
}

static void run_tests(void)
{
	struct labyrinth_stats st;

	labyrinth_stats(maze, &st);
	pr_info("KTAP version 1\n");
	pr_info("1..10\n");
	pr_info("# %llu extents, reserve %llu rooms\n", st.extents, st.rooms_reserve);
	report(st.extents > 0, "extents_found");
	test_hrtimers();
	test_ipi();
	test_no_leak("nothing_leaks");
	test_exhaustion(&st);
	test_no_leak("nothing_leaks_after_exhaustion");
	test_district();
	bench_refill();
	pr_info("# violations %d\n", atomic_read(&violations));
}

/* The hard-fail variant: the panic message is the test's result. */
static void no_exit(void)
{
	unsigned int max = MAX_ROOMS / 32, n;
	void **rooms = kvmalloc_array(max, sizeof(void *), GFP_KERNEL);

	if (!rooms)
		return;
	n = exhaust(GFP_ATOMIC, rooms, 0, max);
	pr_info("# no_exit: %u rooms taken, reserve included; one more\n", n);
	allocpage_gfp_atomic_exclusive(maze);
	pr_info("# no_exit: the labyrinth still had an exit\n");
}

static void *held[4096];

static void hold_rooms(void)
{
	unsigned int n;

	for (n = 0; n < min_t(unsigned int, hold, ARRAY_SIZE(held)); n++) {
		held[n] = take(GFP_KERNEL, smp_processor_id());
		if (!held[n])
			break;
		fill(held[n], tag_of(smp_processor_id()));
	}
	pr_info("# holding %u rooms\n", n);
}

/*
 * The hostile guest: every online CPU at once writes to a room this guest
 * held a moment ago and gave back (its magazines emptied: it holds none).
 * Under our monitor the first touch ends the VM (status 74), the others
 * racing it; a line after the touches means they went through.
 */
static void **hostile_rooms;
static atomic_t hostile_ready;

static void hostile_touch(void *unused)
{
	int cpu = smp_processor_id();

	atomic_inc(&hostile_ready);
	while (atomic_read(&hostile_ready) < num_online_cpus())
		cpu_relax();
	WRITE_ONCE(*(u64 *)hostile_rooms[cpu], tag_of(cpu));
}

static void hostile(void)
{
	struct labyrinth_stats st;
	int cpu;

	hostile_rooms = kcalloc(nr_cpu_ids, sizeof(void *), GFP_KERNEL);
	if (!hostile_rooms)
		return;
	for_each_online_cpu(cpu)
		if (!(hostile_rooms[cpu] = take(GFP_KERNEL, cpu))) {
			pr_info("# hostile: no room to start from\n");
			return;
		}
	for_each_online_cpu(cpu)
		give(hostile_rooms[cpu], cpu);
	labyrinth_give_back(maze);
	labyrinth_stats(maze, &st);
	pr_info("# hostile: %u CPUs touch rooms given back (rooms held now %llu)\n",
		num_online_cpus(), st.rooms_held);
	on_each_cpu(hostile_touch, NULL, 1);
	pr_info("# hostile: the touches went through\n");
}

static int __init selftest_init(void)
{
	maze = labyrinth_maze();
	taken = vzalloc(BITS_TO_LONGS(MAX_ROOMS) * sizeof(long));
	runs = alloc_percpu(struct cpu_run);
	if (!taken || !runs) {
		vfree(taken);
		free_percpu(runs);
		return -ENOMEM;
	}
	if (!strcmp(mode, "no_exit"))
		no_exit();
	else if (!strcmp(mode, "hold"))
		hold_rooms();
	else if (!strcmp(mode, "hostile"))
		hostile();
	else
		run_tests();
	return 0;
}

static void __exit selftest_exit(void)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(held) && held[k]; k++)
		give(held[k], smp_processor_id());
	kfree(hostile_rooms);
	free_percpu(runs);
	vfree(taken);
}

module_init(selftest_init);
module_exit(selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KTAP self-test of the labyrinth, from hard IRQ on every CPU");
