/* SPDX-License-Identifier: GPL-2.0 */
/* The module's own types: the maze (every extent of this guest), an extent
 * (one ivshmem device and its mailbox), the per-CPU magazine, counters. */
#ifndef LABYRINTH_MAZE_H
#define LABYRINTH_MAZE_H

#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "labyrinth_ivshmem.h"
#include "labyrinth_linux.h"

#define MAZE_EXTENTS_MAX 8	/* devices one guest uses at once */
#define MAZE_MAGAZINE_ROOMS 64	/* per CPU */
#define MAZE_CALL_TIMEOUT_NS (2 * NSEC_PER_SEC)

enum maze_counter {
	MAZE_HITS, MAZE_MISSES, MAZE_CLAIMS, MAZE_RELEASES, MAZE_CLAIMED, MAZE_RELEASED,
	MAZE_PRESSURE, MAZE_GIVEN_BACK, MAZE_ATOMIC_REFILLED, MAZE_BAD_FREES,
	MAZE_BAD_ANSWERS, MAZE_CLAIM_NS, MAZE_HANDED, MAZE_RETURNED, MAZE_COUNTERS
};

struct maze_counters {
	u64 v[MAZE_COUNTERS];
};

struct maze_extent;

/*
 * How an extent's calls travel: the ivshmem mailbox (mailbox_carrier.c) or our
 * monitor's hypercall port (port_carrier.c). One call of @hc (call, flags, count):
 * the rooms, by guest-physical address, go in @gpas for RELEASE and come
 * back there for CLAIM (the same for the DISTRICT calls: lab_hc_has_list); INFO's answer in @hc->u.info. Any context; never
 * sleeps. Returns the call's result.
 */
struct maze_carrier {
	long (*call)(struct maze_extent *ext, struct lab_hc *hc, u64 *gpas);
	u32 max_rooms;		/* rooms one call carries */
};

/*
 * One extent: rooms the host lends this guest, mapped write-back at @base
 * (an ivshmem device's BAR2, its first rooms the mailbox; or our monitor's
 * whole room window). Rooms are told apart by address; @handed has a bit
 * per room handed to a caller, so a second owner or a second free is seen
 * at once.
 */
struct maze_extent {
	struct labyrinth *maze;
	const struct maze_carrier *carrier;
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

struct maze_magazine {
	raw_spinlock_t lock;	/* the owner CPU, and give_back from any */
	unsigned int count;
	void *room[MAZE_MAGAZINE_ROOMS];
};

struct labyrinth {
	struct maze_extent __rcu *extents[MAZE_EXTENTS_MAX];
	struct maze_magazine __percpu *magazines;
	struct maze_counters __percpu *counters;
	struct work_struct pressure;
};

static inline void maze_count(struct labyrinth *maze, enum maze_counter c, u64 n)
{
	this_cpu_add(maze->counters->v[c], n);
}

/* call.c: an extent's calls, counted, whatever carries them. */
/* At most MAZE_MAGAZINE_ROOMS rooms (their addresses go on the stack: any
 * context may call). */
long maze_extent_claim(struct maze_extent *ext, u32 flags, void **rooms, u32 n);
long maze_extent_release(struct maze_extent *ext, void *const *rooms, u32 n);
/* The same for up to the carrier's max_rooms, with @gpas (n entries) the
 * caller's scratch: for process context with batches of its own. */
long maze_extent_claim_with(struct maze_extent *ext, u32 flags, void **rooms, u32 n, u64 *gpas);
long maze_extent_release_with(struct maze_extent *ext, void *const *rooms, u32 n, u64 *gpas);
long maze_extent_info(struct maze_extent *ext, u32 flags, struct lab_hc_info *info);
/* Up to LAB_HC_DISTRICT_BATCH_MAX whole districts (512 rooms, 2 MiB
 * each) to @districts, or back in one call: the call's result (the
 * addresses go on the stack: any context may call). */
long maze_extent_claim_districts(struct maze_extent *ext, u32 flags, void **districts, u32 n);
long maze_extent_release_districts(struct maze_extent *ext, void *const *districts, u32 n);
bool maze_extent_has(const struct maze_extent *ext, const void *room);
unsigned long maze_room_index(const struct maze_extent *ext, const void *room);

/* mailbox_carrier.c: the ivshmem device's carrier. */
extern const struct maze_carrier maze_mailbox_carrier;

/* maze.c: the extents of the maze. */
long maze_claim(struct labyrinth *maze, u32 flags, void **rooms, u32 n);
void maze_release(struct labyrinth *maze, void **rooms, u32 n);
struct maze_extent *maze_extent_of(struct labyrinth *maze, const void *room);
int maze_add(struct labyrinth *maze, struct maze_extent *ext);
void maze_retire(struct labyrinth *maze, struct maze_extent *ext);
void maze_forget(struct labyrinth *maze, struct maze_extent *ext);
void maze_extent_drop(struct maze_extent *ext, unsigned int rooms);
void maze_extent_put(struct maze_extent *ext, unsigned int n);
extern struct labyrinth the_maze;

/* room_alloc.c: the API, over per-CPU magazines */
int maze_magazines_init(struct labyrinth *maze);

/* Heard on an extent's pressure interrupt: the magazines give back. */
void maze_pressure_heard(struct labyrinth *maze);

/* maze_extent.c: the PCI driver. */
int maze_driver_register(void);
void maze_driver_unregister(void);

/* port_carrier.c: our monitor's hypercall port, where ACPI describes it. */
int maze_port_register(void);
void maze_port_unregister(void);

/* counters.c: sysfs. */
int maze_counters_init(struct labyrinth *maze);
void maze_counters_exit(void);
struct kobject *maze_counters_dir(void);

/* elastic.c: elastic RAM, /sys/kernel/labyrinth/elastic. */
int maze_elastic_init(struct kobject *parent);
void maze_elastic_exit(void);
/* Vector 1 of a device rang (pressure, or the host's ask): process context. */
void maze_elastic_heard(void);

#endif
