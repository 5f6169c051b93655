#include "exit.h"
#include "hypercall.h"
#include "layout.h"
#include "page_alloc.h"
#include "percpu.h"
#include "printf.h"
#include "window.h"
#include "x86.h"

static struct lab_magazine mags[MAX_CPUS] __aligned(64);
static bool ready;
u64 page_alloc_atomic_rooms, page_alloc_lost_frees, page_alloc_pressure_drains;

/* A refill: the source's context is the claim's GFP flags. */
static int64_t source_claim(void *ctx, u32 n, u64 *rooms)
{
	u32 gfp = (u32)(uintptr_t)ctx;
	int64_t got = hc_claim(gfp, n > LAB_HC_BATCH_MAX ? LAB_HC_BATCH_MAX : n, rooms);

	if (gfp == LAB_HC_GFP_ATOMIC && got > 0)
		__atomic_fetch_add(&page_alloc_atomic_rooms, (u64)got, __ATOMIC_RELAXED);
	return got;
}

static int64_t source_release(void *ctx, u32 n, const u64 *rooms)
{
	int64_t rc = 0;

	(void)ctx;
	for (u32 i = 0; i < n && rc >= 0; i += LAB_HC_BATCH_MAX)
		rc = hc_release(n - i < LAB_HC_BATCH_MAX ? n - i : LAB_HC_BATCH_MAX, rooms + i);
	return rc;
}

/*
 * A GFP_NORMAL caller's refill stops at the reserve. A GFP_ATOMIC caller's
 * may take the reserve, a whole batch in one call, as Linux's per-CPU
 * lists are refilled; what the magazines keep goes back when the
 * labyrinth's pressure interrupt comes (pressure_drain).
 */
static const struct lab_mag_source source = {
	source_claim, source_release, (void *)(uintptr_t)LAB_HC_GFP_NORMAL
};
static const struct lab_mag_source atomic_source = {
	source_claim, source_release, (void *)(uintptr_t)LAB_HC_GFP_ATOMIC
};

/* Read without the magazines' owners' leave: a figure for operators. */
static u32 cached_rooms(void)
{
	u32 n = 0;

	for (u32 cpu = 0; cpu < MAX_CPUS; cpu++)
		n += READ_ONCE(mags[cpu].count);
	return n;
}

/*
 * The labyrinth runs low: give back what this CPU's magazine keeps. An
 * interrupt handler, so GFP_ATOMIC rules: it never sleeps and takes no
 * lock; the magazine is this CPU's own, and its users run with interrupts
 * off, so the interrupted code cannot be in the middle of it.
 */
static void pressure_drain(void)
{
	if (lab_mag_count(&mags[this_cpu()->cpu]) && lab_mag_flush(&mags[this_cpu()->cpu], &source) >= 0)
		__atomic_fetch_add(&page_alloc_pressure_drains, 1, __ATOMIC_RELAXED);
}

int page_alloc_init(void)
{
	int rc = lab_connect();

	if (rc)
		return rc;
	for (u32 cpu = 0; cpu < MAX_CPUS; cpu++)
		lab_mag_init(&mags[cpu], MAG_HIGH, MAG_BATCH);
	hc_cache_probe = cached_rooms;
	WRITE_ONCE(hc_pressure_hook, pressure_drain);
	ready = true;
	return 0;
}

struct page *alloc_page(gfp_t gfp)
{
	u64 irq, room;

	if (!ready)
		return NULL;
	/* Interrupts off: the magazine is this CPU's alone. */
	irq = irq_save();
	room = lab_mag_alloc(&mags[this_cpu()->cpu],
			     gfp & GFP_ATOMIC ? &atomic_source : &source);
	irq_restore(irq);
	return (struct page *)(uintptr_t)room;
}

void *page_address(const struct page *page)
{
	return (void *)(uintptr_t)page;
}

struct page *virt_to_page(const void *addr)
{
	return (struct page *)((uintptr_t)addr & ~(uintptr_t)(PAGE_SIZE - 1));
}

void __free_page(struct page *page)
{
	u64 room = (u64)(uintptr_t)page, irq;
	int64_t rc;

	if (!page)
		return;
	if (!window_spans_room(room))
		panic("__free_page: 0x%lx is not a room of the window", room);
	irq = irq_save();
	rc = lab_mag_free(&mags[this_cpu()->cpu], &source, room);
	irq_restore(irq);
	if (rc < 0) {
		__atomic_fetch_add(&page_alloc_lost_frees, 1, __ATOMIC_RELAXED);
		printf("page_alloc: drain before freeing 0x%lx failed: %ld\n", room, rc);
	}
}

void *allocpage_gfp_atomic_exclusive(void)
{
	struct page *p = alloc_page(GFP_ATOMIC);

	if (!p)
		hc_panic(LAB_NO_EXIT);
	return page_address(p);
}

void dealloc_labyrinth_page_exclusive(void *page)
{
	if (!window_spans_room((u64)(uintptr_t)page))
		hc_panic("Labyrinth dealloc exclusive failed: bad page");
	__free_page(virt_to_page(page));
}

int64_t page_alloc_flush(u32 cpu)
{
	u64 irq = irq_save();
	int64_t rc = lab_mag_flush(&mags[cpu], &source);

	irq_restore(irq);
	return rc;
}

void page_alloc_stats(u32 cpu, struct lab_mag_stats *st, u32 *cached)
{
	*st = mags[cpu].stats;
	*cached = lab_mag_count(&mags[cpu]);
}
