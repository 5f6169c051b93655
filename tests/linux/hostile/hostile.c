// SPDX-License-Identifier: GPL-2.0
/*
 * A Linux guest that misbehaves through the labyrinth's mailbox
 * (include/labyrinth_ivshmem.h), for tests/linux/linux_hostile.sh. It takes
 * the first labyrinth device itself (no labyrinth.ko), then:
 *   - claims from every CPU at once, one slot shared by two CPUs and a
 *     third CPU scribbling over that slot meanwhile;
 *   - releases what it does not hold: outside its memory, the mailbox,
 *     unaligned, rooms never claimed, twice, mixed with rooms it holds;
 *   - sends unknown calls, bad counts and flags, rooms_gpa pointing
 *     anywhere;
 *   - rewrites the server's words in page 0 (rooms, size, first_room,
 *     extent, server_id) and its own bar_base, mid-call too;
 *   - rings the doorbell in a flood, on every vector and peer id.
 * After each step it asks INFO: the free rooms of its extent plus the rooms
 * it holds must not change but by what it claimed and released, and every
 * room a claim gives must lie in its own memory. KTAP on the console;
 * "# violations N" at the end. The server's answer to each attack is its
 * business; only what the labyrinth then looks like is checked here, and
 * the host test checks the neighbours.
 */
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "labyrinth_ivshmem.h"

#define HELD_MAX 4096
#define WAIT_NS (2 * NSEC_PER_SEC)
#define THREADS_MAX 16
#define SCRIBBLED 1	/* the slot two CPUs share and a third scribbles */

static void __iomem *regs;
static void *mem;		/* BAR2, write-back */
static u64 bar_base, bar_size;
static struct lab_ivshmem_header saved;	/* page 0 as the server wrote it */
static DEFINE_SPINLOCK(held_lock);
static u64 held[HELD_MAX];
static unsigned int nheld, tests, violations;
static atomic_t stray = ATOMIC_INIT(0);	/* rooms given outside its memory */
static bool scribbling;

static struct lab_ivshmem_header *hdr(void)
{
	return mem;
}

static struct lab_ivshmem_slot *slot(unsigned int i)
{
	return mem + LAB_IVSHMEM_SLOT_OFFSET + i * LAB_IVSHMEM_SLOT_SIZE;
}

static void ring(u32 peer, u32 vector)
{
	writel(peer << 16 | vector, regs + LAB_IVSHMEM_REG_DOORBELL);
}

/* One call in slot @i as a well-behaved guest would make it; the result,
 * or -ETIMEDOUT as a marker when the server stays silent. */
static s64 call(unsigned int i, u32 callno, u32 flags, u32 count)
{
	struct lab_ivshmem_slot *sl = slot(i);
	u64 end = ktime_get_ns() + WAIT_NS;
	u32 seq;

	sl->hc.call = callno;
	sl->hc.flags = flags;
	sl->hc.count = count;
	seq = READ_ONCE(sl->seq) + 1;
	smp_store_release(&sl->seq, seq);
	ring(saved.server_id, 0);
	while (smp_load_acquire(&sl->done) != seq) {
		if (ktime_get_ns() > end)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return READ_ONCE(sl->hc.result);
}

static bool in_own_memory(u64 gpa)
{
	return gpa >= bar_base + (u64)saved.mailbox_rooms * LAB_ROOM_SIZE &&
	       gpa < bar_base + bar_size && !(gpa & (LAB_ROOM_SIZE - 1));
}

static s64 info_free(void)
{
	s64 rc = call(0, LAB_HC_INFO, 0, 0);

	return rc < 0 ? rc : (s64)READ_ONCE(slot(0)->hc.u.info.rooms_free);
}

static void ktap(bool ok, const char *what)
{
	tests++;
	pr_info("%s %u - %s\n", ok ? "ok" : "not ok", tests, what);
	if (!ok)
		violations++;
}

/* Claims @n rooms with @flags in slot @i while page 0 says its memory is at
 * @base (the server answers in that frame); keeps what it got, in the
 * true frame. */
static s64 claim_keep(unsigned int i, u32 flags, u32 n, u64 base)
{
	s64 rc = call(i, LAB_HC_CLAIM, flags, n);
	unsigned long irq;

	for (s64 k = 0; k < rc && k < LAB_HC_BATCH_MAX; k++) {
		u64 gpa = READ_ONCE(slot(i)->rooms[k]) - base + bar_base;

		if (!in_own_memory(gpa)) {
			/* While the scribbler runs, the slot's words and the
			 * frame (bar_base) may be its. */
			if (!READ_ONCE(scribbling))
				atomic_inc(&stray);
			continue;
		}
		spin_lock_irqsave(&held_lock, irq);
		if (nheld < HELD_MAX)
			held[nheld++] = gpa;
		spin_unlock_irqrestore(&held_lock, irq);
	}
	return rc;
}

/* Releases the rooms in @gpas (whatever they are) through slot 0. */
static s64 release_these(const u64 *gpas, u32 n)
{
	memcpy(slot(0)->rooms, gpas, n * sizeof(u64));
	return call(0, LAB_HC_RELEASE, 0, n);
}

/* free + held is what the labyrinth owes this guest: it never moves. */
static void balance(s64 owed, const char *after)
{
	s64 f = info_free();
	char what[96];

	snprintf(what, sizeof(what), "after %s the extent's free rooms plus ours stay %lld (%lld)",
		 after, owed, f < 0 ? f : f + nheld);
	ktap(f >= 0 && f + nheld == owed, what);
}

static int scribbler(void *unused)
{
	struct lab_ivshmem_slot *sl = slot(SCRIBBLED);

	while (!kthread_should_stop()) {
		get_random_bytes(&sl->hc, sizeof(sl->hc));
		WRITE_ONCE(hdr()->bar_base, get_random_u64());
		ring(saved.server_id, 0);
		cond_resched();
	}
	return 0;
}

static int claimer(void *arg)
{
	unsigned int i = (unsigned long)arg;
	int rounds = 0;

	while (!kthread_should_stop() && rounds++ < 200) {
		claim_keep(i, LAB_HC_GFP_NORMAL, 1 + (get_random_u32() & 63), bar_base);
		cond_resched();
	}
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

/* Every CPU claims at once, two in slot 1 while a third scribbles it. */
static void concurrent_claims(void)
{
	struct task_struct *t[THREADS_MAX + 1];
	unsigned int n = 0, cpu;

	for_each_online_cpu(cpu) {
		if (n == THREADS_MAX)
			break;
		t[n] = kthread_create(claimer, (void *)(unsigned long)(cpu % 2 ? SCRIBBLED : 2 + cpu % 6),
				      "lab-hostile/%u", cpu);
		if (IS_ERR(t[n]))
			continue;
		kthread_bind(t[n], cpu);
		wake_up_process(t[n++]);
	}
	WRITE_ONCE(scribbling, true);
	t[n] = kthread_run(scribbler, NULL, "lab-scribble");
	if (!IS_ERR(t[n]))
		n++;
	msleep(3000);
	while (n--)
		kthread_stop(t[n]);
	WRITE_ONCE(hdr()->bar_base, bar_base);
	WRITE_ONCE(scribbling, false);
}

static void bad_releases(void)
{
	u64 bad[] = { 0, ~0ull, bar_base - LAB_ROOM_SIZE, bar_base, bar_base + bar_size,
		      bar_base + bar_size - LAB_ROOM_SIZE + 1, bar_base + 17 * LAB_ROOM_SIZE + 8,
		      1ull << 52, bar_base + LAB_IVSHMEM_SLOT_OFFSET };
	u64 mixed[2];
	unsigned int k;
	u64 unclaimed = 0;

	for (k = 0; k < ARRAY_SIZE(bad); k++)
		release_these(&bad[k], 1);
	/* A room of its own memory it never claimed. */
	for (u64 g = bar_base + (u64)saved.mailbox_rooms * LAB_ROOM_SIZE; g < bar_base + bar_size;
	     g += LAB_ROOM_SIZE) {
		bool mine = false;

		for (k = 0; k < nheld && !mine; k++)
			mine = held[k] == g;
		if (!mine) {
			unclaimed = g;
			break;
		}
	}
	if (unclaimed)
		release_these(&unclaimed, 1);
	if (nheld) {	/* one it holds beside one it does not: all or nothing */
		mixed[0] = held[0];
		mixed[1] = unclaimed ? unclaimed : bar_base;
		release_these(mixed, 2);
		mixed[1] = held[0];	/* the same room twice in one call */
		release_these(mixed, 2);
	}
}

static void bad_calls(void)
{
	static const u32 calls[] = { LAB_HC_NR, 99, 0xffffffff };
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(calls); k++)
		call(0, calls[k], 0, 1);
	/* Whatever a claim among them gets is kept, and counted as held. */
	claim_keep(0, LAB_HC_GFP_NORMAL, LAB_HC_BATCH_MAX + 1, bar_base);
	claim_keep(0, LAB_HC_GFP_NORMAL, 0xffffffff, bar_base);
	claim_keep(0, 0xffffffff, 1, bar_base);
	claim_keep(0, LAB_HC_CORRIDOR(255) | LAB_HC_THISCORRIDOR, 1, bar_base);
	claim_keep(0, LAB_HC_GFP_ATOMIC | LAB_HC_ALL_OR_NOTHING, LAB_HC_BATCH_MAX, bar_base);
	slot(0)->rooms[0] = bar_base;	/* the mailbox: never a room to release */
	call(0, LAB_HC_RELEASE, 0, LAB_HC_BATCH_MAX + 1);
	call(0, LAB_HC_RELEASE, 0, 0);
	slot(0)->hc.rooms_gpa = held[0];	/* ignored, says the contract */
	call(0, LAB_HC_RELEASE, 0, 1);
	/* A slot index beyond the eight: the request page of another slot. */
	for (k = 0; k < LAB_IVSHMEM_SLOTS; k++)
		get_random_bytes(slot(k)->fill, sizeof(slot(k)->fill));
	call(LAB_IVSHMEM_SLOTS - 1, LAB_HC_PANIC, 0, 0);
}

/* The server's words in page 0 rewritten: it must keep its own copy. */
static void bad_header(void)
{
	struct lab_ivshmem_header *h = hdr();

	WRITE_ONCE(h->rooms, 0xffffffff);
	WRITE_ONCE(h->size, ~0ull);
	WRITE_ONCE(h->first_room, 0);
	WRITE_ONCE(h->extent, h->extent ^ 1);
	WRITE_ONCE(h->mailbox_rooms, 0);
	WRITE_ONCE(h->slots, 0xffff);
	WRITE_ONCE(h->bar_base, 0);
	claim_keep(0, LAB_HC_GFP_NORMAL, 64, 0);
	WRITE_ONCE(h->bar_base, bar_base - 64 * LAB_ROOM_SIZE);
	claim_keep(0, LAB_HC_GFP_NORMAL, 64, bar_base - 64 * LAB_ROOM_SIZE);
	WRITE_ONCE(h->bar_base, bar_base);
	memcpy(h, &saved, sizeof(saved));
}

static void doorbells(void)
{
	unsigned int k;

	for (k = 0; k < 20000; k++)
		ring(saved.server_id, k & 7);
	for (k = 0; k < 64; k++)
		ring(k, k & 3);
	msleep(500);
}

/* Every room of its memory released one by one: only those it holds go,
 * whatever it believed it held. The count of those that went. */
static unsigned int release_each_room(void)
{
	unsigned int gone = 0;

	for (u64 g = bar_base + (u64)saved.mailbox_rooms * LAB_ROOM_SIZE;
	     g < bar_base + bar_size; g += LAB_ROOM_SIZE)
		gone += release_these(&g, 1) == 0;
	nheld = 0;
	return gone;
}

static void release_all(void)
{
	while (nheld) {
		u32 n = min_t(u32, nheld, 64);

		if (release_these(&held[nheld - n], n) != 0)
			break;
		nheld -= n;
	}
}

static int run(struct pci_dev *pdev)
{
	s64 owed, f0, f;
	unsigned int gone;
	char what[160];

	memcpy(&saved, hdr(), sizeof(saved));
	if (saved.magic != LAB_IVSHMEM_MAGIC || saved.refused != LAB_IVSHMEM_LENT) {
		pr_err("labyrinth-hostile: no lent extent on %s\n", pci_name(pdev));
		return -ENODEV;
	}
	WRITE_ONCE(hdr()->bar_base, bar_base);
	saved.bar_base = bar_base;
	pr_info("KTAP version 1\n");
	pr_info("1..9\n");
	f0 = info_free();
	ktap(f0 > 0, "INFO answers: its extent has free rooms");
	owed = f0;
	/* Chaos first: with a slot shared and scribbled, what this guest
	 * believes it holds is not exact; the census after it is. */
	concurrent_claims();
	WRITE_ONCE(hdr()->bar_base, bar_base);
	msleep(200);	/* the scribbled slot's last answer */
	gone = release_each_room();
	f = info_free();
	snprintf(what, sizeof(what), "claims from every CPU, a slot shared and scribbled: "
		 "%u held, all released one by one, free %lld of %lld again", gone, f, owed);
	ktap(gone > 0 && f == owed, what);
	claim_keep(0, LAB_HC_GFP_NORMAL, 64, bar_base);
	balance(owed, "a plain claim");
	bad_releases();
	balance(owed, "releases of rooms it does not hold");
	bad_calls();
	balance(owed, "unknown calls, bad counts and flags");
	bad_header();
	balance(owed, "page 0 rewritten");
	doorbells();
	balance(owed, "a doorbell flood on every vector and peer");
	ktap(atomic_read(&stray) == 0, "every room a claim gave lies in its own memory, past the mailbox");
	release_all();
	ktap(nheld == 0 && info_free() == owed, "all it held released: the extent as it was");
	pr_info("# violations %u\n", violations);
	return 0;
}

static int __init hostile_init(void)
{
	struct pci_dev *pdev = pci_get_device(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE, NULL);
	int rc = -ENODEV;

	if (!pdev) {
		pr_err("labyrinth-hostile: no labyrinth device\n");
		return -ENODEV;
	}
	if (pci_enable_device(pdev))
		goto put;
	bar_base = pci_resource_start(pdev, 2);
	bar_size = pci_resource_len(pdev, 2);
	regs = pci_iomap(pdev, 0, 0);
	mem = memremap(bar_base, bar_size, MEMREMAP_WB);
	if (regs && mem)
		rc = run(pdev);
	if (mem)
		memunmap(mem);
	if (regs)
		pci_iounmap(pdev, regs);
put:
	pci_dev_put(pdev);
	return rc;
}

static void __exit hostile_exit(void)
{
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A guest that misbehaves through the labyrinth's mailbox (a test)");
