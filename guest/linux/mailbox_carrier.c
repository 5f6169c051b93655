// SPDX-License-Identifier: GPL-2.0
/*
 * The ivshmem device's carrier: one call through its mailbox
 * (include/labyrinth_ivshmem.h):
 * fill a slot, store seq, ring the server, spin until it answers. Callers
 * may be in hard IRQ, so the call spins (bounded) and never sleeps; a
 * slot's raw spinlock is held for one call by one CPU at a time.
 */
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/processor.h>
#include <linux/smp.h>

#include "maze.h"

static struct lab_ivshmem_slot *slot_at(struct maze_extent *ext, u32 i)
{
	return (void *)ext->hdr + LAB_IVSHMEM_SLOT_OFFSET + i * LAB_IVSHMEM_SLOT_SIZE;
}

/* A server that stops answering loses the device, not the CPU. */
static bool wait_done(struct maze_extent *ext, struct lab_ivshmem_slot *sl, u32 seq)
{
	u64 end = ktime_get_mono_fast_ns() + MAZE_CALL_TIMEOUT_NS;

	while (smp_load_acquire(&sl->done) != seq) {
		if (ktime_get_mono_fast_ns() > end) {
			WRITE_ONCE(ext->broken, true);
			pr_err("labyrinth: peer %u: no answer from the server in %llu ms; device given up\n",
			       ext->peer_id, (u64)(MAZE_CALL_TIMEOUT_NS / NSEC_PER_MSEC));
			return false;
		}
		cpu_relax();
	}
	return true;
}

/* The call @hc (and its rooms, in or out) through this CPU's slot. */
static long maze_mailbox_call(struct maze_extent *ext, struct lab_hc *hc, u64 *gpas)
{
	u32 i = raw_smp_processor_id() % LAB_IVSHMEM_SLOTS, n = hc->count, seq, k;
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
	if (lab_hc_has_list(hc->call) && !lab_hc_lists_out(hc->call))
		for (k = 0; k < n; k++)
			sl->rooms[k] = gpas[k];
	seq = ++ext->seq[i];
	smp_store_release(&sl->seq, seq);
	writel(ext->server_id << 16, ext->regs + LAB_IVSHMEM_REG_DOORBELL);
	if (!wait_done(ext, sl, seq))
		goto out;
	rc = READ_ONCE(sl->hc.result);
	if (hc->call == LAB_HC_INFO && rc == LAB_HC_OK)
		hc->u.info = sl->hc.u.info;
	for (k = 0; lab_hc_lists_out(hc->call) && rc > 0 && k < rc && k < n; k++)
		gpas[k] = READ_ONCE(sl->rooms[k]);
out:
	raw_spin_unlock_irqrestore(&ext->slot_lock[i], flags);
	return rc;
}

const struct maze_carrier maze_mailbox_carrier = {
	.call = maze_mailbox_call,
	.max_rooms = LAB_HC_BATCH_MAX,	/* a slot's second page */
};
