#include "tsc.h"
#include "hypercall.h"
#include "ipi.h"
#include "irqalloc.h"
#include "layout.h"
#include "mem.h"
#include "page_alloc.h"
#include "percpu.h"
#include "printf.h"
#include "sort.h"
#include "timer.h"
#include "window.h"
#include "x86.h"

#define ROOM_WORDS (PAGE_SIZE / 8)
#define BITMAP_ROOMS (1u << 20)
/* Sorting is emulated too: a few thousand samples keep it well under 1 s. */
#define MAX_SAMPLES 4096
#define CALL_TIMEOUT_US 2000000
#define REPORT_MAX 8

struct irq_cpu {
	struct page *held[IRQALLOC_HOLD];
	u32 nheld;
	u32 stopped;		/* set before the final free: a tick still pending does nothing */
	u64 allocs, frees, nulls, violations, rng;
} __aligned(64);

static struct irq_cpu cpus[MAX_CPUS];
static u64 in_use[BITMAP_ROOMS / 64];
static u64 samples[MAX_SAMPLES];
static u32 nsamples, reported;

static void violation(struct irq_cpu *c, const char *what, u64 room)
{
	c->violations++;
	if (__atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED) < REPORT_MAX)
		printf("irqalloc: violation on cpu %u: %s (room 0x%lx)\n", this_cpu()->cpu, what,
		       room);
}

static u64 pattern(u64 room, u32 cpu)
{
	return room ^ ((u64)(cpu + 1) << 48) ^ 0x4952510000000000ull;
}

static u64 room_bit(u64 room, u64 **word)
{
	u64 i = (room - lab_info.window_base) / PAGE_SIZE;

	*word = i < BITMAP_ROOMS ? &in_use[i / 64] : NULL;
	return 1ull << (i % 64);
}

static u64 next_random(struct irq_cpu *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static void alloc_one(struct irq_cpu *c, u32 cpu)
{
	u64 t0 = rdtsc(), *word, bit, room;
	struct page *p = alloc_page(GFP_ATOMIC);
	u64 dt = rdtsc() - t0;
	u32 slot = __atomic_fetch_add(&nsamples, 1, __ATOMIC_RELAXED);

	if (slot < MAX_SAMPLES)
		samples[slot] = dt;
	if (!p) {
		c->nulls++;
		return;
	}
	room = (u64)(uintptr_t)page_address(p);
	c->allocs++;
	if (!window_spans_room(room)) {
		violation(c, "alloc_page returned an address outside the window", room);
		return;
	}
	bit = room_bit(room, &word);
	if (word && (__atomic_fetch_or(word, bit, __ATOMIC_ACQ_REL) & bit))
		violation(c, "room handed out twice", room);
	memset64(page_address(p), pattern(room, cpu), ROOM_WORDS);
	c->held[c->nheld++] = p;
}

static void free_one(struct irq_cpu *c, u32 cpu, u32 pick)
{
	struct page *p = c->held[pick];
	u64 room = (u64)(uintptr_t)page_address(p), *word, bit;

	c->held[pick] = c->held[--c->nheld];
	if (memscan64_ne(page_address(p), pattern(room, cpu), ROOM_WORDS) != ROOM_WORDS)
		violation(c, "pattern overwritten", room);
	bit = room_bit(room, &word);
	/* Cleared before the free: afterwards any CPU may get the room. */
	if (word && !(__atomic_fetch_and(word, ~bit, __ATOMIC_ACQ_REL) & bit))
		violation(c, "freed room was not marked held", room);
	__free_page(p);
	c->frees++;
}

static void tick(struct trap_frame *f)
{
	u32 cpu = this_cpu()->cpu;
	struct irq_cpu *c = &cpus[cpu];
	u32 nfree;

	(void)f;
	if (c->stopped)
		return;
	for (u32 i = 0; i < IRQALLOC_PER_TICK && c->nheld < IRQALLOC_HOLD; i++)
		alloc_one(c, cpu);
	nfree = c->nheld ? (u32)(next_random(c) % (IRQALLOC_PER_TICK + 1)) : 0;
	for (u32 i = 0; i < nfree && c->nheld; i++)
		free_one(c, cpu, (u32)(next_random(c) % c->nheld));
}

static void start(void *arg)
{
	struct irq_cpu *c = &cpus[this_cpu()->cpu];

	(void)arg;
	c->rng = rdtsc() ^ ((u64)this_cpu()->cpu << 40) ^ 0x9e3779b97f4a7c15ull;
	timer_start();
}

static void stop_and_free(void *arg)
{
	u32 cpu = this_cpu()->cpu;
	struct irq_cpu *c = &cpus[cpu];

	(void)arg;
	c->stopped = 1;
	timer_stop();
	while (c->nheld)
		free_one(c, cpu, c->nheld - 1);
	if (page_alloc_flush(cpu))
		violation(c, "magazine flush failed", 0);
}

static void wait_us(u64 us)
{
	u64 end = rdtsc() + tsc_from_us(us);

	while (rdtsc() < end)
		safe_halt();
	irq_disable();
}

void irqalloc_run(u32 n, u64 us, struct irqalloc_result *r)
{
	u32 taken;

	memset(r, 0, sizeof(*r));
	memset(cpus, 0, sizeof(cpus));
	nsamples = 0;
	r->cpus = n;
	timer_set_hook(tick);
	for (u32 cpu = 0; cpu < n; cpu++)
		if (smp_call_on(cpu, start, NULL, CALL_TIMEOUT_US))
			r->violations++, printf("irqalloc: cpu %u did not start\n", cpu);
	wait_us(us);
	for (u32 cpu = 0; cpu < n; cpu++)
		if (smp_call_on(cpu, stop_and_free, NULL, CALL_TIMEOUT_US))
			r->violations++, printf("irqalloc: cpu %u did not stop\n", cpu);
	timer_set_hook(NULL);
	for (u32 cpu = 0; cpu < n; cpu++) {
		struct irq_cpu *c = &cpus[cpu];
		struct lab_mag_stats st;
		u32 cached;
		page_alloc_stats(cpu, &st, &cached);
		r->allocs += c->allocs;
		r->frees += c->frees;
		r->nulls += c->nulls;
		r->violations += c->violations;
		r->cpus_ticked += c->allocs > 0;
		r->claimed += st.refilled;
		r->released += st.drained;
		r->mag_allocs += st.allocs;
		r->mag_hits += st.alloc_hits;
		if (cached)
			r->violations++, printf("irqalloc: cpu %u still caches %u rooms\n", cpu, cached);
	}
	if (r->claimed != r->released)
		r->violations++, printf("irqalloc: claimed %lu rooms but released %lu\n", r->claimed,
					r->released);
	taken = nsamples < MAX_SAMPLES ? nsamples : MAX_SAMPLES;
	r->p99_ns = percentile_u64(samples, taken, 99) * 1000000000ull / clock.tsc_hz;
	r->p50_ns = samples[(taken ? taken - 1 : 0) / 2] * 1000000000ull / clock.tsc_hz;
}
