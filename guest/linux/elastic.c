// SPDX-License-Identifier: GPL-2.0
/*
 * Elastic RAM: rooms the guest claims from the labyrinth, added to Linux's
 * page allocator as virtio-mem adds device memory. A labyrinth device's
 * BAR2 is one whole extent lent to this guest; a memory block of it (the
 * kernel's hot-plug unit: 128 MiB on x86-64 under 64 GiB of boot memory)
 * whose every room this guest claimed is added as driver-managed
 * "System RAM (labyrinth)" and onlined by the kernel's auto-online policy
 * (online_movable, so that it can be offlined again under use). Shrinking
 * offlines and removes a block (its pages migrate out first), then
 * releases its rooms through the mailbox.
 *
 * Rooms come as whole districts (CLAIM_DISTRICT, 8 of 2 MiB a call: a
 * 128 MiB block in 8 calls, where rooms took 64) and go back the same
 * way; the server chooses which, so a block is added once a claim has
 * completed it. Rooms come one by one (512 a call) only where no district
 * can: the district the mailbox shares, and districts not wholly free
 * (the 4 KiB allocator holds rooms of them).
 *
 * The block that holds the mailbox (the extent's first rooms) is added with
 * the mailbox's pages kept out of the page allocator through the online
 * page callback, as virtio-mem keeps out what is not plugged (while
 * another driver holds that callback, the block stays out). Rooms a claim
 * brings that complete no block (rooms the 4 KiB allocator keeps leave a
 * block incomplete) are released again when the request ends: at rest the
 * rooms held for elastic RAM are exactly those of the blocks added, and a
 * guest killed mid-request loses nothing (the host takes back what its
 * lease holds, districts whole).
 *
 * The host asks too (`labyrinth limit NAME GUEST --ask N`: N rooms of
 * the device's extent, its mailbox aside): the server writes the ask into
 * the mailbox header and raises vector 1; we grow or shrink that extent's
 * blocks toward it, and answer in the header with what we could not give
 * back (labyrinth_ivshmem.h). An ask also bounds what target_mib may take
 * from that extent. Vector 1 is also the extent's pressure: then blocks
 * of it go back until its free rooms are at the server's high watermark
 * again; and growth never takes an extent below that mark, so that our
 * own growth starts no episode (it would undo itself).
 *
 * /sys/kernel/labyrinth/elastic/: target_mib (write a size to grow or
 * shrink to; a multiple of block_mib), added_mib, block_mib, rooms,
 * ram_kib (what Linux got: the blocks less their mailbox pages), unmet_mib
 * (what the last request, the host's or ours, asked to give back and
 * could not: in use), asked_rooms (the host's asks, one line per extent
 * with one: "peer PEER asked ROOMS holds ROOMS unmet ROOMS"), and
 * last_us: where the last request's time went (claims through the
 * mailbox, districts and rooms, adding and onlining, offlining and
 * removing, releases).
 */
#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "maze.h"

#define MAZE_ELASTIC_RESOURCE "System RAM (labyrinth)"
#define MAZE_ELASTIC_BLOCKS 64	/* per extent: 1 GiB of 128 MiB blocks fits */
#define MAZE_ELASTIC_SPARE (8ul << 20)	/* free memory a shrink leaves at least */
#define MAZE_OFFLINE_TIMEOUT (30 * HZ)	/* per block: the kernel would retry forever */

struct elastic_extent {
	struct maze_extent *ext;	/* pinned (held + 1) while known here */
	unsigned long *claimed;	/* a bit per room claimed for elastic RAM */
	unsigned long *whole;	/* a bit per district of them claimed whole */
	u64 added;		/* a bit per memory block added */
	u32 cap;		/* this request: rooms its blocks may hold */
	u32 seen_seq;		/* the host's last ask acted on (asked_seq) */
	u32 asked;		/* ... and what it asked, LAB_IVSHMEM_NO_ASK */
	u32 unmet;		/* rooms above it we could not give back */
	bool dry;		/* this request: the extent lent no more */
	bool no_whole;		/* this request: no district of it wholly free */
	bool shared_asked;	/* this request: the mailbox's district asked for */
	bool mailbox_unref;	/* going offline: the mailbox pages' refs dropped */
};

static struct {
	struct mutex lock;	/* one request at a time */
	struct elastic_extent e[MAZE_EXTENTS_MAX];
	u64 block;		/* memory_block_size_bytes() */
	u64 target;		/* bytes asked for last */
	u64 added;		/* bytes added, all extents */
	u64 ram;		/* of them, what Linux got (less the mailboxes) */
	u64 rooms;		/* rooms held for elastic RAM */
	void **batch;		/* LAB_HC_BATCH_MAX room addresses */
	u64 *gpas;		/* ... and the calls' scratch for them */
	u64 ns[4];		/* the last request's time, by step (enum step) */
	struct kobject *dir;
	/* The mailbox's block: onlined with the mailbox kept out of it. */
	unsigned long mb_start, mb_end;	/* its mailbox pfns while it is onlined */
	bool no_callback;	/* another driver has the online callback */
	bool offlining;		/* our own offline: no veto */
	bool live;		/* between init and exit: vector 1 reaches us */
	u64 unmet;		/* bytes the last request could not give back */
} el;

static void heard_fn(struct work_struct *w);
static DECLARE_WORK(heard_work, heard_fn);

/* Where a request's time goes: /sys/kernel/labyrinth/elastic/last_us. */
enum step { CLAIM, ADD, OFFLINE, RELEASE };

static u64 step_start(void)
{
	return ktime_get_ns();
}

static void step_end(enum step s, u64 t0)
{
	el.ns[s] += ktime_get_ns() - t0;
}

static u32 block_rooms(void)
{
	return el.block / LAB_ROOM_SIZE;
}

/* Its rooms the mailbox takes (the extent's first ones). */
static u32 mailbox_in(const struct maze_extent *ext, u32 b)
{
	return b ? 0 : min(ext->mailbox_rooms, block_rooms());
}

/* Rooms block @b holds as RAM. */
static u32 rooms_of(const struct maze_extent *ext, u32 b)
{
	return block_rooms() - mailbox_in(ext, b);
}

/* Rooms the blocks added in @ee hold: what the host's ask counts. */
static u32 ext_rooms(const struct elastic_extent *ee)
{
	return hweight64(ee->added) * block_rooms() -
	       (ee->added & 1 ? mailbox_in(ee->ext, 0) : 0);
}

/* A block can be RAM: whole in the BAR, aligned; the mailbox's block only
 * while the online callback is ours to set, and if it holds more. */
static bool block_usable(const struct maze_extent *ext, u32 b)
{
	return IS_ALIGNED(ext->gpa, el.block) && (u64)(b + 1) * el.block <= ext->size &&
	       b < MAZE_ELASTIC_BLOCKS &&
	       (!mailbox_in(ext, b) || (!el.no_callback && mailbox_in(ext, b) < block_rooms()));
}

/*
 * The mailbox pages of the block being onlined stay out of the page
 * allocator, PageOffline with a reference of ours, as virtio-mem keeps
 * out what is not plugged; every other page is onlined as usual.
 */
static void online_page(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), n = 1ul << order, i;

	if (pfn + n <= el.mb_start || pfn >= el.mb_end) {
		generic_online_page(page, order);
		return;
	}
	page_offline_begin();
	for (i = 0; i < n; i++) {
		struct page *p = pfn_to_page(pfn + i);

		if (pfn + i >= el.mb_start && pfn + i < el.mb_end) {
			__SetPageOffline(p);
			ClearPageReserved(p);
		} else {
			generic_online_page(p, 0);
		}
	}
	page_offline_end();
}

/* The mailbox pages of @ee's first block within [start, start + n). */
static bool mailbox_within(const struct elastic_extent *ee, unsigned long start,
			   unsigned long n)
{
	unsigned long mb = ee->ext->gpa >> PAGE_SHIFT;

	return (ee->added & BIT_ULL(0)) && mailbox_in(ee->ext, 0) && mb >= start &&
	       mb < start + n;
}

static bool ours(const struct elastic_extent *ee, unsigned long start, unsigned long n)
{
	unsigned long first = ee->ext->gpa >> PAGE_SHIFT;

	return ee->added && start < first + (ee->ext->size >> PAGE_SHIFT) && start + n > first;
}

/*
 * Offlining a block of ours: only we do it (a block offlined from sysfs
 * would be onlined again without the callback, the mailbox with it). The
 * mailbox pages' references go, so offline_pages() skips them, and they
 * count as managed pages for it to subtract; a cancel undoes both.
 */
static int memory_event(struct notifier_block *nb, unsigned long action, void *data)
{
	struct memory_notify *mn = data;
	unsigned long i, mb;
	u32 k, pages;

	for (k = 0; k < MAZE_EXTENTS_MAX; k++) {
		struct elastic_extent *ee = &el.e[k];

		if (!ee->ext || !ours(ee, mn->start_pfn, mn->nr_pages))
			continue;
		if (action == MEM_GOING_OFFLINE && !READ_ONCE(el.offlining))
			return notifier_from_errno(-EPERM);
		mb = ee->ext->gpa >> PAGE_SHIFT;
		pages = mailbox_in(ee->ext, 0);
		if (action == MEM_GOING_OFFLINE && mailbox_within(ee, mn->start_pfn, mn->nr_pages)) {
			adjust_managed_page_count(pfn_to_page(mb), pages);
			for (i = 0; i < pages; i++)
				WARN_ON(!page_ref_dec_and_test(pfn_to_page(mb + i)));
			ee->mailbox_unref = true;
		} else if (action == MEM_CANCEL_OFFLINE && ee->mailbox_unref) {
			adjust_managed_page_count(pfn_to_page(mb), -(long)pages);
			for (i = 0; i < pages; i++)
				page_ref_inc(pfn_to_page(mb + i));
			ee->mailbox_unref = false;
		} else if (action == MEM_OFFLINE) {
			ee->mailbox_unref = false;
		}
	}
	return NOTIFY_OK;
}

static struct notifier_block memory_nb = { .notifier_call = memory_event };

static void forget(struct elastic_extent *ee)
{
	bitmap_free(ee->claimed);
	bitmap_free(ee->whole);
	maze_extent_put(ee->ext, 1);
	memset(ee, 0, sizeof(*ee));
}

/* The extent's free rooms, as its server counts them; -1 unknown. */
static long extent_free(struct maze_extent *ext)
{
	struct lab_hc_info info;

	if (maze_extent_info(ext, 0, &info) != LAB_HC_OK)
		return -1;
	return min_t(u64, info.rooms_free, ext->rooms);
}

/*
 * Rooms the blocks of @ee may hold in this request: the host's ask, and
 * what leaves the extent's free rooms at its high watermark at least (at
 * rest the rooms we claimed are those of our blocks, so the free rooms
 * now plus ours are what we could have).
 */
static u32 growth_cap(struct elastic_extent *ee)
{
	u32 high = READ_ONCE(ee->ext->hdr->high), cap;
	long free = extent_free(ee->ext);

	if (free < 0)
		return ext_rooms(ee);
	cap = free + ext_rooms(ee) > high ? free + ext_rooms(ee) - high : 0;
	return ee->asked == LAB_IVSHMEM_NO_ASK ? cap : min(cap, ee->asked);
}

/* The maze's extents as they are now; one that went with RAM added is
 * the operator's mistake (unplugged before a shrink): said, and dropped. */
static void sync_extents(void)
{
	u32 k;

	for (k = 0; k < MAZE_EXTENTS_MAX; k++) {
		struct elastic_extent *ee = &el.e[k];
		struct maze_extent *cur;

		rcu_read_lock();
		cur = rcu_dereference(the_maze.extents[k]);
		/* Lent extents only: our monitor's room window is gated room
		 * by room, no memory to hand Linux whole. */
		if (cur && (READ_ONCE(cur->gone) || READ_ONCE(cur->broken) ||
			    cur->carrier != &maze_mailbox_carrier))
			cur = NULL;
		if (cur && cur != ee->ext)
			atomic_inc(&cur->held);
		rcu_read_unlock();
		if (cur == ee->ext) {
			ee->dry = ee->no_whole = ee->shared_asked = false;
			continue;
		}
		if (ee->ext) {
			if (ee->added) {
				pr_err("labyrinth: elastic: peer %u went with %u MiB of RAM added\n",
				       ee->ext->peer_id,
				       (u32)(hweight64(ee->added) * (el.block >> 20)));
				el.added -= hweight64(ee->added) * el.block;
				el.ram -= hweight64(ee->added) * el.block -
					  (ee->added & 1 ? (u64)mailbox_in(ee->ext, 0) : 0) *
					  LAB_ROOM_SIZE;
				/* that RAM is still Linux's: the module stays pinned */
			}
			el.rooms -= bitmap_weight(ee->claimed, ee->ext->rooms);
			forget(ee);
		}
		if (!cur)
			continue;
		ee->claimed = bitmap_zalloc(cur->rooms, GFP_KERNEL);
		ee->whole = bitmap_zalloc(cur->rooms / LAB_HC_DISTRICT_ROOMS, GFP_KERNEL);
		if (!ee->claimed || !ee->whole) {
			bitmap_free(ee->claimed);
			bitmap_free(ee->whole);
			ee->claimed = ee->whole = NULL;
			maze_extent_put(cur, 1);
			continue;
		}
		ee->ext = cur;
		ee->asked = LAB_IVSHMEM_NO_ASK;
	}
	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (el.e[k].ext)
			el.e[k].cap = growth_cap(&el.e[k]);
}

static void *room_of(struct maze_extent *ext, u32 idx)
{
	return ext->base + (size_t)idx * LAB_ROOM_SIZE;
}

/* Up to @max set bits of @map from *@at below @end, cleared: the rooms
 * they stand for (@unit rooms a bit) to el.batch. */
static u32 take_batch(struct maze_extent *ext, unsigned long *map, u32 *at, u32 end, u32 max,
		      u32 unit)
{
	u32 m = 0;

	for (*at = find_next_bit(map, end, *at); m < max && *at < end;
	     *at = find_next_bit(map, end, *at + 1)) {
		el.batch[m++] = room_of(ext, *at * unit);
		clear_bit(*at, map);
	}
	return m;
}

/* el.batch's @m entries back to the host: districts claimed whole
 * (@whole) in one RELEASE_DISTRICT, rooms in one RELEASE. */
static void release_batch(struct maze_extent *ext, u32 m, bool whole)
{
	u32 rooms = whole ? m * LAB_HC_DISTRICT_ROOMS : m;
	u64 t0 = step_start();
	long rc = -1;

	el.rooms -= rooms;
	if (!READ_ONCE(ext->broken))
		rc = whole ? maze_extent_release_districts(ext, el.batch, m)
			   : maze_extent_release_with(ext, el.batch, m, el.gpas);
	if (rc < 0)
		maze_extent_drop(ext, rooms);
	step_end(RELEASE, t0);
}

/*
 * Rooms [first, first + n) of @ee that are claimed go back to the host
 * (@first and @n count whole districts: blocks are). A district claimed
 * whole goes back whole (the host refuses its rooms one by one), 8 a
 * call; rooms claimed one by one go back 512 a call.
 */
static void release_range(struct elastic_extent *ee, u32 first, u32 n)
{
	struct maze_extent *ext = ee->ext;
	u32 d = first / LAB_HC_DISTRICT_ROOMS, end = (first + n) / LAB_HC_DISTRICT_ROOMS;
	u32 at = first, m, k;

	while ((m = take_batch(ext, ee->whole, &d, end, LAB_HC_DISTRICT_BATCH_MAX,
			       LAB_HC_DISTRICT_ROOMS))) {
		for (k = 0; k < m; k++)
			bitmap_clear(ee->claimed, maze_room_index(ext, el.batch[k]),
				     LAB_HC_DISTRICT_ROOMS);
		release_batch(ext, m, true);
	}
	while ((m = take_batch(ext, ee->claimed, &at, first + n, LAB_HC_BATCH_MAX, 1)))
		release_batch(ext, m, false);
}

/* Every room claimed outside the blocks added. */
static void release_loose(struct elastic_extent *ee)
{
	u32 b, per = block_rooms();

	for (b = 0; b * per < ee->ext->rooms; b++)
		if (!(ee->added & BIT_ULL(b)))
			release_range(ee, b * per, min(per, ee->ext->rooms - b * per));
}

static int add_block(struct elastic_extent *ee, u32 b)
{
	u64 start = ee->ext->gpa + (u64)b * el.block;
	unsigned long before = totalram_pages();
	u32 mailbox = mailbox_in(ee->ext, b);
	u64 t0 = step_start();
	int rc;

	if (mailbox && set_online_page_callback(online_page)) {
		pr_err("labyrinth: elastic: another driver (virtio_mem?) holds the online page callback: the mailbox's block stays out\n");
		el.no_callback = true;
		return 0;
	}
	el.mb_start = start >> PAGE_SHIFT;
	el.mb_end = el.mb_start + mailbox;
	rc = add_memory_driver_managed(memory_add_physaddr_to_nid(start), start, el.block,
				       MAZE_ELASTIC_RESOURCE, MHP_NONE);
	if (mailbox)
		restore_online_page_callback(online_page);
	el.mb_start = el.mb_end = 0;
	step_end(ADD, t0);
	if (rc) {
		pr_err("labyrinth: elastic: cannot add %llu MiB at 0x%llx as System RAM: error %d\n",
		       el.block >> 20, start, rc);
		return rc;
	}
	if (totalram_pages() - before < (el.block >> PAGE_SHIFT) - mailbox) {
		pr_err("labyrinth: elastic: %llu MiB at 0x%llx was added but not onlined: write online_movable to /sys/devices/system/memory/auto_online_blocks\n",
		       el.block >> 20, start);
		offline_and_remove_memory(start, el.block);
		return -EPERM;
	}
	if (!el.added)
		__module_get(THIS_MODULE);	/* no unload while RAM is lent */
	ee->added |= BIT_ULL(b);
	el.added += el.block;
	el.ram += el.block - (u64)mailbox * LAB_ROOM_SIZE;
	return 0;
}

/* Block @b of @ee may be added in this request: usable, not added yet,
 * within the request's cap. */
static bool block_wanted(const struct elastic_extent *ee, u32 b)
{
	return block_usable(ee->ext, b) && !(ee->added & BIT_ULL(b)) &&
	       ext_rooms(ee) + rooms_of(ee->ext, b) <= ee->cap;
}

/*
 * The rooms of the district the mailbox shares (the extent's first) that
 * block 0 still needs: that district is never wholly free, so only a
 * claim of rooms brings them. 0 once asked for in this request.
 */
static u32 shared_district_left(const struct elastic_extent *ee)
{
	u32 from = ee->ext->mailbox_rooms, end = round_up(from, LAB_HC_DISTRICT_ROOMS);

	if (ee->shared_asked || from == end || !block_wanted(ee, 0))
		return 0;
	return end - from - (bitmap_weight(ee->claimed, end) - bitmap_weight(ee->claimed, from));
}

/* One CLAIM_DISTRICT of 8: the rooms it brought, or the call's error. */
static long claim_districts(struct elastic_extent *ee)
{
	struct maze_extent *ext = ee->ext;
	long got = maze_extent_claim_districts(ext, LAB_HC_GFP_NORMAL, el.batch,
					      LAB_HC_DISTRICT_BATCH_MAX);
	u32 k, first;

	for (k = 0; k < got; k++) {
		first = maze_room_index(ext, el.batch[k]);
		set_bit(first / LAB_HC_DISTRICT_ROOMS, ee->whole);
		bitmap_set(ee->claimed, first, LAB_HC_DISTRICT_ROOMS);
	}
	return got > 0 ? got * LAB_HC_DISTRICT_ROOMS : got;
}

/* One CLAIM of @n rooms: how many it brought, or the call's error. */
static long claim_rooms(struct elastic_extent *ee, u32 n)
{
	struct maze_extent *ext = ee->ext;
	long got = maze_extent_claim_with(ext, LAB_HC_GFP_NORMAL, el.batch, n, el.gpas);
	u32 k;

	for (k = 0; k < got; k++)
		set_bit(maze_room_index(ext, el.batch[k]), ee->claimed);
	return got;
}

/*
 * One claim from @ee: whole districts, 8 a call (a block is 8 calls),
 * while it has some wholly free; rooms, 512 a call, for the district the
 * mailbox shares (first: a lent extent's claims of rooms start at its
 * first district), and once no district is wholly free (the 4 KiB
 * allocator holds rooms of the rest, or the server has no district
 * calls). The rooms claimed, or <= 0 when none.
 */
static long claim_once(struct elastic_extent *ee)
{
	u32 shared = shared_district_left(ee);
	long got;

	if (shared) {
		ee->shared_asked = true;
		return claim_rooms(ee, shared);
	}
	if (!ee->no_whole) {
		got = claim_districts(ee);
		/* fewer than asked: no more are wholly free */
		ee->no_whole = got < LAB_HC_DISTRICT_BATCH_MAX * LAB_HC_DISTRICT_ROOMS;
		if (got > 0)
			return got;
	}
	return claim_rooms(ee, LAB_HC_BATCH_MAX);
}

/* Claim once from @ee; add every block that claim completed. */
static int claim_more(struct elastic_extent *ee, u64 target)
{
	struct maze_extent *ext = ee->ext;
	u32 per = block_rooms(), b;
	u64 t0 = step_start();
	long got;
	int rc;

	got = claim_once(ee);
	step_end(CLAIM, t0);
	if (got <= 0) {
		ee->dry = true;
		return 0;
	}
	el.rooms += got;
	for (b = 0; el.added < target && (u64)(b + 1) * el.block <= ext->size; b++) {
		if (!block_wanted(ee, b) ||
		    find_next_zero_bit(ee->claimed, (b + 1) * per, b * per + mailbox_in(ext, b)) <
			    (b + 1) * per)
			continue;
		rc = add_block(ee, b);
		if (rc)
			return rc;
	}
	return 0;
}

static bool can_grow(const struct elastic_extent *ee)
{
	u32 b;

	if (!ee->ext || ee->dry || READ_ONCE(ee->ext->broken))
		return false;
	for (b = 0; (u64)(b + 1) * el.block <= ee->ext->size; b++)
		if (block_wanted(ee, b))
			return true;
	return false;
}

static int grow(u64 target)
{
	int rc = 0;
	u32 k;

	while (el.added < target && !rc) {
		for (k = 0; k < MAZE_EXTENTS_MAX && !can_grow(&el.e[k]); k++)
			;
		if (k == MAZE_EXTENTS_MAX) {
			pr_err("labyrinth: elastic: %llu MiB of the %llu MiB asked: the labyrinth's devices lend no more whole blocks\n",
			       el.added >> 20, target >> 20);
			rc = -ENOSPC;
			break;
		}
		rc = claim_more(&el.e[k], target);
	}
	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (el.e[k].ext)
			release_loose(&el.e[k]);
	return rc;
}

struct offliner {
	u64 start;
	int rc;
	struct completion done;
};

static int offline_fn(void *data)
{
	struct offliner *o = data;

	allow_signal(SIGKILL);	/* offline_pages() gives up on a fatal signal */
	o->rc = offline_and_remove_memory(o->start, el.block);
	complete(&o->done);
	return 0;
}

/*
 * offline_and_remove_memory() retries migration until it succeeds or its
 * task has a fatal signal: it runs in a thread of its own, killed after
 * MAZE_OFFLINE_TIMEOUT. Refused at once when the free memory could not
 * take the block's pages (the exact condition: free >= block).
 */
static int offline_block(u64 start)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES) << PAGE_SHIFT;
	struct offliner o = { .start = start };
	struct task_struct *t;

	if (free < el.block + MAZE_ELASTIC_SPARE) {
		pr_err("labyrinth: elastic: cannot give back %llu MiB at 0x%llx: %lu MiB free, its pages would not fit elsewhere\n",
		       el.block >> 20, start, free >> 20);
		return -EBUSY;
	}
	init_completion(&o.done);
	t = kthread_create(offline_fn, &o, "labyrinth-offline");
	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	wake_up_process(t);
	if (!wait_for_completion_timeout(&o.done, MAZE_OFFLINE_TIMEOUT)) {
		send_sig(SIGKILL, t, 1);
		wait_for_completion(&o.done);
	}
	put_task_struct(t);
	return o.rc;
}

/* Block @b of @ee offlined, removed and its rooms released; or an error
 * (-EBUSY: its pages would not move), and it stays as it was. */
static int give_back_block(struct elastic_extent *ee, u32 b)
{
	u64 start = ee->ext->gpa + (u64)b * el.block, t0 = step_start();
	int rc;

	WRITE_ONCE(el.offlining, true);
	rc = offline_block(start);
	WRITE_ONCE(el.offlining, false);
	step_end(OFFLINE, t0);
	if (rc) {
		pr_err("labyrinth: elastic: %llu MiB stay added (error %d at 0x%llx)\n",
		       el.added >> 20, rc, start);
		return rc == -EINTR ? -EBUSY : rc;
	}
	ee->added &= ~BIT_ULL(b);
	el.added -= el.block;
	el.ram -= el.block - (u64)mailbox_in(ee->ext, b) * LAB_ROOM_SIZE;
	release_range(ee, b * block_rooms(), block_rooms());
	if (!el.added)
		module_put(THIS_MODULE);
	return 0;
}

/* The blocks of @ee, last first, until they hold @goal rooms at most. */
static int shrink_extent(struct elastic_extent *ee, u32 goal)
{
	int b, rc;

	for (b = MAZE_ELASTIC_BLOCKS - 1; b >= 0 && ext_rooms(ee) > goal; b--) {
		if (!(ee->added & BIT_ULL(b)))
			continue;
		rc = give_back_block(ee, b);
		if (rc)
			return rc;
	}
	return 0;
}

/* What is left above a goal that could not be given back is said in
 * unmet_mib; the caller says it to whoever asked. */
static int shrink(u64 target)
{
	int k, b, rc;

	for (k = MAZE_EXTENTS_MAX - 1; k >= 0; k--) {
		struct elastic_extent *ee = &el.e[k];

		for (b = MAZE_ELASTIC_BLOCKS - 1; b >= 0 && el.added > target; b--) {
			if (!(ee->added & BIT_ULL(b)))
				continue;
			rc = give_back_block(ee, b);
			if (rc) {
				el.unmet = el.added - target;
				return rc;
			}
		}
	}
	return 0;
}

static ssize_t target_mib_store(struct kobject *kobj, struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	u64 mib, target;
	int rc;

	rc = kstrtou64(buf, 10, &mib);
	if (rc)
		return rc;
	target = mib << 20;
	if ((target >> 20) != mib || target % el.block) {
		pr_err("labyrinth: elastic: %llu MiB is not a multiple of the %llu MiB memory block\n",
		       mib, el.block >> 20);
		return -EINVAL;
	}
	mutex_lock(&el.lock);
	el.target = target;
	el.unmet = 0;
	memset(el.ns, 0, sizeof(el.ns));
	sync_extents();
	rc = target > el.added ? grow(target) : shrink(target);
	mutex_unlock(&el.lock);
	return rc ? rc : count;
}

/* Grow @ee's blocks as far as its cap (the host's ask) lets them. */
static int grow_extent(struct elastic_extent *ee)
{
	int rc = 0;

	while (can_grow(ee) && !rc)
		rc = claim_more(ee, U64_MAX);
	release_loose(ee);
	return rc == -ENOSPC ? 0 : rc;
}

/*
 * The host's new ask on @ee: grow or shrink toward it, then answer in the
 * header: what stays above it (rooms in use), and the ask answered. Asked
 * for more than the extent can lend, it holds what it can (said here; the
 * host sees held below asked).
 */
static void follow_ask(struct elastic_extent *ee)
{
	struct lab_ivshmem_header *h = ee->ext->hdr;
	u32 seq = smp_load_acquire(&h->asked_seq), asked;
	int rc = 0;

	if (seq == ee->seen_seq)
		return;
	asked = READ_ONCE(h->asked);
	ee->asked = asked;
	ee->cap = growth_cap(ee);
	if (asked != LAB_IVSHMEM_NO_ASK && ext_rooms(ee) > asked)
		rc = shrink_extent(ee, asked);
	else if (asked != LAB_IVSHMEM_NO_ASK)
		rc = grow_extent(ee);
	ee->unmet = asked != LAB_IVSHMEM_NO_ASK && ext_rooms(ee) > asked ?
			    ext_rooms(ee) - asked : 0;
	if (ee->unmet)
		pr_err("labyrinth: elastic: peer %u: the host asks for %u rooms; %u rooms above that are in use and stay (error %d)\n",
		       ee->ext->peer_id, asked, ee->unmet, rc);
	else if (asked != LAB_IVSHMEM_NO_ASK)
		pr_info("labyrinth: elastic: peer %u: the host asks for %u rooms: %u held in %llu MiB blocks\n",
			ee->ext->peer_id, asked, ext_rooms(ee), el.block >> 20);
	WRITE_ONCE(h->unmet, ee->unmet);
	smp_store_release(&h->answered_seq, seq);
	ee->seen_seq = seq;
}

/* The extent's pressure: blocks go back until its free rooms are at the
 * high watermark again (those in use stay, said). */
static void under_pressure(struct elastic_extent *ee)
{
	u32 low = READ_ONCE(ee->ext->hdr->low), high = READ_ONCE(ee->ext->hdr->high);
	long free = extent_free(ee->ext);
	u32 need;
	int rc;

	if (free < 0 || free >= low || !ee->added)
		return;
	need = high - free;
	rc = shrink_extent(ee, ext_rooms(ee) > need ? ext_rooms(ee) - need : 0);
	pr_info("labyrinth: elastic: peer %u: its extent runs low (%ld rooms free, low %u): %u rooms of RAM stay%s\n",
		ee->ext->peer_id, free, low, ext_rooms(ee), rc ? ", the rest in use" : "");
}

/* Vector 1 rang: an ask, pressure, or both. */
static void heard_fn(struct work_struct *w)
{
	u32 k;

	mutex_lock(&el.lock);
	if (!READ_ONCE(el.live))
		goto out;
	memset(el.ns, 0, sizeof(el.ns));
	sync_extents();
	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (el.e[k].ext)
			follow_ask(&el.e[k]);
	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (el.e[k].ext)
			under_pressure(&el.e[k]);
	el.target = el.added;
	el.unmet = 0;
	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		el.unmet += (u64)el.e[k].unmet * LAB_ROOM_SIZE;
out:
	mutex_unlock(&el.lock);
}

void maze_elastic_heard(void)
{
	if (READ_ONCE(el.live))
		schedule_work(&heard_work);
}

static ssize_t show_u64(char *buf, u64 v)
{
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t target_mib_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return show_u64(buf, READ_ONCE(el.target) >> 20);
}

static ssize_t added_mib_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return show_u64(buf, READ_ONCE(el.added) >> 20);
}

static ssize_t ram_kib_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return show_u64(buf, READ_ONCE(el.ram) >> 10);
}

static ssize_t block_mib_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return show_u64(buf, el.block >> 20);
}

static ssize_t rooms_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return show_u64(buf, READ_ONCE(el.rooms));
}

static ssize_t unmet_mib_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return show_u64(buf, DIV_ROUND_UP(READ_ONCE(el.unmet), 1 << 20));
}

static ssize_t asked_rooms_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	int n = 0;
	u32 i;

	mutex_lock(&el.lock);
	for (i = 0; i < MAZE_EXTENTS_MAX; i++) {
		struct elastic_extent *ee = &el.e[i];

		if (ee->ext && ee->asked != LAB_IVSHMEM_NO_ASK)
			n += sysfs_emit_at(buf, n, "peer %u asked %u holds %u unmet %u\n",
					   ee->ext->peer_id, ee->asked, ext_rooms(ee), ee->unmet);
	}
	mutex_unlock(&el.lock);
	return n;
}

static ssize_t last_us_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	return sysfs_emit(buf, "claim %llu add %llu offline %llu release %llu\n",
			  el.ns[CLAIM] / 1000, el.ns[ADD] / 1000, el.ns[OFFLINE] / 1000,
			  el.ns[RELEASE] / 1000);
}

static struct kobj_attribute target_attr = __ATTR_RW(target_mib);
static struct kobj_attribute added_attr = __ATTR_RO(added_mib);
static struct kobj_attribute block_attr = __ATTR_RO(block_mib);
static struct kobj_attribute rooms_attr = __ATTR_RO(rooms);
static struct kobj_attribute ram_attr = __ATTR_RO(ram_kib);
static struct kobj_attribute last_us_attr = __ATTR_RO(last_us);
static struct kobj_attribute unmet_attr = __ATTR_RO(unmet_mib);
static struct kobj_attribute asked_attr = __ATTR_RO(asked_rooms);
static struct attribute *elastic_attrs[] = {
	&target_attr.attr, &added_attr.attr, &block_attr.attr, &rooms_attr.attr,
	&ram_attr.attr, &last_us_attr.attr, &unmet_attr.attr, &asked_attr.attr, NULL
};
static const struct attribute_group elastic_group = { .attrs = elastic_attrs };

int maze_elastic_init(struct kobject *parent)
{
	int rc;

	mutex_init(&el.lock);
	el.block = memory_block_size_bytes();
	el.batch = kcalloc(LAB_HC_BATCH_MAX, sizeof(*el.batch), GFP_KERNEL);
	el.gpas = kcalloc(LAB_HC_BATCH_MAX, sizeof(*el.gpas), GFP_KERNEL);
	if (!el.batch || !el.gpas) {
		kfree(el.batch);
		kfree(el.gpas);
		return -ENOMEM;
	}
	el.dir = kobject_create_and_add("elastic", parent);
	rc = el.dir ? sysfs_create_group(el.dir, &elastic_group) : -ENOMEM;
	if (!rc)
		rc = register_memory_notifier(&memory_nb);
	if (rc) {
		kobject_put(el.dir);
		kfree(el.batch);
		kfree(el.gpas);
	}
	WRITE_ONCE(el.live, !rc);
	return rc;
}

/* Nothing is added by now (the module is pinned while RAM is). */
void maze_elastic_exit(void)
{
	u32 k;

	/* Vector 1's work (maze.c) schedules ours only while live: once it
	 * has run its last, ours is cancelled for good. */
	WRITE_ONCE(el.live, false);
	cancel_work_sync(&the_maze.pressure);
	cancel_work_sync(&heard_work);
	unregister_memory_notifier(&memory_nb);
	kobject_put(el.dir);
	for (k = 0; k < MAZE_EXTENTS_MAX; k++)
		if (el.e[k].ext) {
			release_loose(&el.e[k]);
			forget(&el.e[k]);
		}
	kfree(el.batch);
	kfree(el.gpas);
}
