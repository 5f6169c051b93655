/*
 * The guest's page allocator, shaped like Linux's: alloc_page(gfp) gives a
 * struct page, page_address() its kernel address, __free_page() gives it
 * back. Pages are labyrinth rooms, held by this guest until freed.
 *
 * The path of one allocation: this CPU's magazine (include/magazine.h,
 * shared/magazine.c) with interrupts off; if empty, one batch CLAIM
 * (GFP_NORMAL) refills it; if the labyrinth has only its reserve left,
 * GFP_ATOMIC alone may take one room from it by a direct CLAIM
 * (LAB_HC_GFP_ATOMIC) that bypasses the magazine, so reserve rooms never
 * sit where a GFP_NORMAL caller could pick them up. Nothing sleeps or
 * spins: safe in interrupt handlers; NULL when nothing is left.
 *
 * A struct page * is the room's address itself: there is no memmap, the
 * window is identity-mapped (supervisor-only) and page_address() is a cast.
 */
#ifndef GUEST_PAGE_ALLOC_H
#define GUEST_PAGE_ALLOC_H

#include "magazine.h"
#include "types.h"

typedef u32 gfp_t;

#define GFP_NORMAL 0x0u		/* may not dip into the reserve */
#define GFP_KERNEL GFP_NORMAL	/* (nothing here sleeps anyway) */
#define GFP_ATOMIC 0x1u		/* may use the reserve: interrupt handlers */

#define PAGE_SIZE 4096u

struct page;

#define MAG_HIGH 64u		/* a free into a magazine this full drains */
#define MAG_BATCH 32u		/* rooms per refill CLAIM (one exit) and per drain RELEASE */

/* lab_connect() and empty magazines on every CPU; 0 or LAB_HC_E*
 * (LAB_HC_ENOSYS without a labyrinth: then every allocation is NULL). */
int page_alloc_init(void);

struct page *alloc_page(gfp_t gfp);
void __free_page(struct page *page);
void *page_address(const struct page *page);
struct page *virt_to_page(const void *addr);

/* The seed's entry points: one room, GFP_ATOMIC, or the VM ends through
 * LAB_HC_PANIC with LAB_NO_EXIT (the monitor's status 75). */
#define LAB_NO_EXIT "Sorry, the labyrinth has no exit"
void *allocpage_gfp_atomic_exclusive(void);
void dealloc_labyrinth_page_exclusive(void *page);

/* Gives back every room in @cpu's magazine. Call on @cpu itself, or when
 * it allocates no more (its timer stopped): the magazine has no lock. */
int64_t page_alloc_flush(u32 cpu);
/* A copy of @cpu's magazine counters, and how many rooms it holds. */
void page_alloc_stats(u32 cpu, struct lab_mag_stats *st, u32 *cached);
/* Rooms GFP_ATOMIC callers' refills brought (the reserve may be among
 * them) and frees that could not be stored or released, over all CPUs. */
extern u64 page_alloc_atomic_rooms, page_alloc_lost_frees;
/* Magazines given back because the monitor said the labyrinth runs low. */
extern u64 page_alloc_pressure_drains;

#endif
