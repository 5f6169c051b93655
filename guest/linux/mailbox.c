// SPDX-License-Identifier: GPL-2.0
/*
 * One call through one extent's mailbox (include/labyrinth_ivshmem.h):
 * fill a slot, store seq, ring the server, spin until it answers. Callers
 * may be in hard IRQ, so the call spins (bounded) and never sleeps; a
 * slot's raw spinlock is held for one call by one CPU at a time.
 */
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/processor.h>
#include <linux/smp.h>

#include "maze.h"

static struct lab_ivshmem_slot *slot_at(struct lab_extent *ext, u32 i)
{
	return (void *)ext->hdr + LAB_IVSHMEM_SLOT_OFFSET + i * LAB_IVSHMEM_SLOT_SIZE;
}

bool lab_extent_has(const struct lab_extent *ext, const void *room)
{
	unsigned long off = (unsigned long)room - (unsigned long)ext->hdr;

	return (unsigned long)room >= (unsigned long)ext->hdr && off < ext->size &&
	       !(off & (LAB_IVSHMEM_PAGE - 1)) &&
	       off >= ext->mailbox_rooms * LAB_IVSHMEM_PAGE;
}

/* A server that stops answering loses the device, not the CPU. */
static bool wait_done(struct lab_extent *ext, struct lab_ivshmem_slot *sl, u32 seq)
{
	u64 end = ktime_get_mono_fast_ns() + LAB_CALL_TIMEOUT_NS;

	while (smp_load_acquire(&sl->done) != seq) {
		if (ktime_get_mono_fast_ns() > end) {
			WRITE_ONCE(ext->broken, true);
			pr_err("labyrinth: peer %u: no answer from the server in %llu ms; device given up\n",
			       ext->peer_id, (u64)(LAB_CALL_TIMEOUT_NS / NSEC_PER_MSEC));
			return false;
		}
		cpu_relax();
	}
	return true;
}

/* Rooms travel as guest-physical addresses; callers hold kernel ones. */
static u64 gpa_of(struct lab_extent *ext, const void *room)
{
	return ext->bar_base + ((unsigned long)room - (unsigned long)ext->hdr);
}

static void *room_at(struct lab_extent *ext, u64 gpa)
{
	void *room = (void *)ext->hdr + (gpa - ext->bar_base);

	return gpa >= ext->bar_base && lab_extent_has(ext, room) ? room : NULL;
}

/* The call @hc (and @rooms, in or out) through this CPU's slot. */
static long call(struct lab_extent *ext, struct lab_hc *hc, void **rooms, u32 n)
{
	u32 i = raw_smp_processor_id() % LAB_IVSHMEM_SLOTS, seq, k;
	struct lab_ivshmem_slot *sl = slot_at(ext, i);
	unsigned long flags;
	long rc = LAB_HC_ENOSYS;

	raw_spin_lock_irqsave(&ext->slot_lock[i], flags);
	if (READ_ONCE(ext->broken))
		goto out;
	sl->hc.call = hc->call;
	sl->hc.flags = hc->flags;
	sl->hc.count = n;
	sl->hc.cached = hc->cached;
	if (hc->call == LAB_HC_RELEASE)
		for (k = 0; k < n; k++)
			sl->rooms[k] = gpa_of(ext, rooms[k]);
	seq = ++ext->seq[i];
	smp_store_release(&sl->seq, seq);
	writel(ext->server_id << 16, ext->regs + LAB_IVSHMEM_REG_DOORBELL);
	if (!wait_done(ext, sl, seq))
		goto out;
	rc = READ_ONCE(sl->hc.result);
	if (hc->call == LAB_HC_INFO && rc == LAB_HC_OK)
		hc->u.info = sl->hc.u.info;
	if (hc->call == LAB_HC_CLAIM && rc > n)
		rc = LAB_HC_EINVAL;	/* more than asked: an answer we cannot trust */
	for (k = 0; hc->call == LAB_HC_CLAIM && rc > 0 && k < rc; k++) {
		rooms[k] = room_at(ext, READ_ONCE(sl->rooms[k]));
		if (!rooms[k]) {
			lab_count(ext->maze, LAB_BAD_ANSWERS, 1);
			WRITE_ONCE(ext->broken, true);
			rc = LAB_HC_EINVAL;
		}
	}
out:
	raw_spin_unlock_irqrestore(&ext->slot_lock[i], flags);
	return rc;
}

long lab_mailbox_claim(struct lab_extent *ext, u32 flags, void **rooms, u32 n)
{
	struct lab_hc hc = { .call = LAB_HC_CLAIM, .flags = flags };
	u64 t0 = ktime_get_mono_fast_ns();
	long rc = call(ext, &hc, rooms, n);

	lab_count(ext->maze, LAB_CLAIMS, 1);
	lab_count(ext->maze, LAB_CLAIM_NS, ktime_get_mono_fast_ns() - t0);
	if (rc > 0) {
		atomic_add(rc, &ext->held);
		lab_count(ext->maze, LAB_CLAIMED, rc);
	}
	return rc;
}

long lab_mailbox_release(struct lab_extent *ext, void *const *rooms, u32 n)
{
	struct lab_hc hc = { .call = LAB_HC_RELEASE };
	long rc = call(ext, &hc, (void **)rooms, n);

	lab_count(ext->maze, LAB_RELEASES, 1);
	if (rc >= 0) {
		lab_count(ext->maze, LAB_RELEASED, n);
		lab_extent_put(ext, n);
	}
	return rc;
}

long lab_mailbox_info(struct lab_extent *ext, struct lab_hc_info *info)
{
	struct lab_hc hc = { .call = LAB_HC_INFO };
	long rc = call(ext, &hc, NULL, 0);

	if (rc == LAB_HC_OK)
		*info = hc.u.info;
	return rc;
}
