/* SPDX-License-Identifier: GPL-2.0 */
/* The module's own types: the maze (every extent of this guest), an extent
 * (one ivshmem device and its mailbox), the per-CPU magazine, counters. */
#ifndef LABYRINTH_MAZE_H
#define LABYRINTH_MAZE_H

#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "labyrinth_ivshmem.h"
#include "labyrinth.h"

#define LAB_EXTENTS_MAX 8	/* devices one guest uses at once */
#define LAB_MAGAZINE_ROOMS 64	/* per CPU */
#define LAB_CALL_TIMEOUT_NS (2 * NSEC_PER_SEC)

enum lab_counter {
	LAB_HITS, LAB_MISSES, LAB_CLAIMS, LAB_RELEASES, LAB_CLAIMED, LAB_RELEASED,
	LAB_PRESSURE, LAB_GIVEN_BACK, LAB_ATOMIC_REFILLED, LAB_BAD_FREES,
	LAB_BAD_ANSWERS, LAB_CLAIM_NS, LAB_HANDED, LAB_RETURNED, LAB_COUNTERS
};

struct lab_counters {
	u64 v[LAB_COUNTERS];
};

struct lab_extent;

/*
 * How an extent's calls travel: the ivshmem mailbox (mailbox.c) or our
 * monitor's hypercall port (port.c). One call of @hc (call, flags, count):
 * the rooms, by guest-physical address, go in @gpas for RELEASE and come
 * back there for CLAIM (the same for the DISTRICT calls: lab_hc_has_list); INFO's answer in @hc->u.info. Any context; never
 * sleeps. Returns the call's result.
 */
struct lab_carrier {
	long (*call)(struct lab_extent *ext, struct lab_hc *hc, u64 *gpas);
	u32 max_rooms;		/* rooms one call carries */
};

/*
 * One extent: rooms the host lends this guest, mapped write-back at @base
 * (an ivshmem device's BAR2, its first rooms the mailbox; or our monitor's
 * whole room window). Rooms are told apart by address; @handed has a bit
 * per room handed to a caller, so a second owner or a second free is seen
 * at once.
 */
struct lab_extent {
	struct labyrinth *maze;
	const struct lab_carrier *carrier;
	void *base;		/* room 0 of the extent, mapped */
	phys_addr_t gpa;	/* ... and its guest-physical address */
	struct pci_dev *pdev;
	void __iomem *regs;
	struct lab_ivshmem_header *hdr;	/* ivshmem: room 0 of the extent */
	u64 size;
	u32 rooms, mailbox_rooms, reserve, server_id, peer_id;
	u32 first_room;		/* the labyrinth's number of room 0 */
	u32 seq[LAB_IVSHMEM_SLOTS];
	raw_spinlock_t slot_lock[LAB_IVSHMEM_SLOTS];
	unsigned long *handed;
	atomic_t held;		/* rooms out of the host, + 1 while the device is
				 * bound: the last put unmaps the extent */
	bool broken;		/* no more calls: the server stopped answering,
				 * or the device is going; rooms freed drop */
	bool gone;		/* no more claims */
	struct work_struct reap;
};

struct lab_magazine {
	raw_spinlock_t lock;	/* the owner CPU, and give_back from any */
	unsigned int count;
	void *room[LAB_MAGAZINE_ROOMS];
};

struct labyrinth {
	struct lab_extent __rcu *extents[LAB_EXTENTS_MAX];
	struct lab_magazine __percpu *magazines;
	struct lab_counters __percpu *counters;
	struct work_struct pressure;
};

static inline void lab_count(struct labyrinth *maze, enum lab_counter c, u64 n)
{
	this_cpu_add(maze->counters->v[c], n);
}

/* call.c: an extent's calls, counted, whatever carries them. */
/* At most LAB_MAGAZINE_ROOMS rooms (their addresses go on the stack: any
 * context may call). */
long lab_extent_claim(struct lab_extent *ext, u32 flags, void **rooms, u32 n);
long lab_extent_release(struct lab_extent *ext, void *const *rooms, u32 n);
/* The same for up to the carrier's max_rooms, with @gpas (n entries) the
 * caller's scratch: for process context with batches of its own. */
long lab_extent_claim_with(struct lab_extent *ext, u32 flags, void **rooms, u32 n, u64 *gpas);
long lab_extent_release_with(struct lab_extent *ext, void *const *rooms, u32 n, u64 *gpas);
long lab_extent_info(struct lab_extent *ext, u32 flags, struct lab_hc_info *info);
/* Up to LAB_HC_DISTRICT_BATCH_MAX whole districts (512 rooms, 2 MiB
 * each) to @districts, or back in one call: the call's result (the
 * addresses go on the stack: any context may call). */
long lab_extent_claim_districts(struct lab_extent *ext, u32 flags, void **districts, u32 n);
long lab_extent_release_districts(struct lab_extent *ext, void *const *districts, u32 n);
bool lab_extent_has(const struct lab_extent *ext, const void *room);
unsigned long lab_room_index(const struct lab_extent *ext, const void *room);

/* mailbox.c: the ivshmem device's carrier. */
extern const struct lab_carrier lab_mailbox_carrier;

/* maze.c: the extents of the maze. */
long lab_claim(struct labyrinth *maze, u32 flags, void **rooms, u32 n);
void lab_release(struct labyrinth *maze, void **rooms, u32 n);
struct lab_extent *lab_extent_of(struct labyrinth *maze, const void *room);
int lab_maze_add(struct labyrinth *maze, struct lab_extent *ext);
void lab_maze_retire(struct labyrinth *maze, struct lab_extent *ext);
void lab_maze_forget(struct labyrinth *maze, struct lab_extent *ext);
void lab_extent_drop(struct lab_extent *ext, unsigned int rooms);
void lab_extent_put(struct lab_extent *ext, unsigned int n);
extern struct labyrinth lab_the_maze;

/* magazine.c */
int lab_magazines_init(struct labyrinth *maze);

/* Heard on an extent's pressure interrupt: the magazines give back. */
void lab_pressure_heard(struct labyrinth *maze);

/* extent.c: the PCI driver. */
int lab_driver_register(void);
void lab_driver_unregister(void);

/* port.c: our monitor's hypercall port, where ACPI describes it. */
int lab_port_register(void);
void lab_port_unregister(void);

/* counters.c: sysfs. */
int lab_counters_init(struct labyrinth *maze);
void lab_counters_exit(void);
struct kobject *lab_counters_dir(void);

/* elastic.c: elastic RAM, /sys/kernel/labyrinth/elastic. */
int lab_elastic_init(struct kobject *parent);
void lab_elastic_exit(void);
/* Vector 1 of a device rang (pressure, or the host's ask): process context. */
void lab_elastic_heard(void);

#endif
