/* The doors of the rooms: the room window, a guest-physical range backed by one memslot over the
 * whole labyrinth pool, room i at window page i: one shared read/write
 * mapping per extent file (labyrinth_extent.h), side by side. Whether a room is reachable is decided in the page tables, not in
 * the mapping: the mapping is registered with a userfaultfd in minor- and
 * missing-fault mode, and starts with no page table entry at all. Making a room reachable installs its entry
 * (UFFDIO_CONTINUE); taking it away zaps the entry (MADV_DONTNEED), and
 * KVM's MMU notifier drops the guest's translation before madvise returns.
 * A guest touch of a page without an entry is never served: a watcher
 * thread reads the fault (address and thread) from the userfaultfd and
 * closes the whole window, so the touch leaves KVM_RUN as EFAULT (on a
 * PVM host, kernel-mode touches as an MMIO exit at the address) and the
 * monitor stops the guest, naming the address either way.
 *
 * Why not mprotect: each mprotect of part of a mapping splits it, so the
 * number of mappings (and the cost, and whether vm.max_map_count is hit)
 * would follow the pattern of rooms a guest holds. Here the window stays
 * one mapping per extent whatever the guest does, and zapping cannot fail.
 * (tests/vmm/map_strategies.c measures both.) */
#ifndef VMM_DOORS_H
#define VMM_DOORS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "labyrinth_extent.h"

struct doors {
	uint64_t gpa;		/* guest-physical base */
	uint64_t size;		/* rooms * 4 KiB */
	uint32_t rooms;
	uint8_t *va;		/* the pool, mapped shared, backing the memslot */
	int uffd;		/* guards the window's page-table entries */
	pthread_t watcher;	/* reads uffd: a fault is a guest's touch */
	bool watching;
	int stop[2];		/* a byte here ends the watcher */
	unsigned nfaults;	/* faults[] written by the watcher */
#define DOORS_FAULTS_KEPT 64
	struct { uint32_t tid; uint64_t gpa; } faults[DOORS_FAULTS_KEPT];
};

/* Maps @lab's pool (every extent) with no room reachable; 0, or -1 after
 * one line on stderr. */
int doors_init(struct doors *w, uint64_t gpa, const struct labyrinth *lab);
/* Registers the window as memslot `slot` of VM `vm_fd`. */
int doors_register(struct doors *w, int vm_fd, uint32_t slot);
/* Rooms rooms[0..n) become reachable (@open: one UFFDIO_CONTINUE per run
 * of consecutive rooms) or unreachable (one MADV_DONTNEED per run); 0, or
 * -1 (a room outside the window, or the kernel refused). Timed into
 * doors_ns. */
int doors_turn(struct doors *g, const uint32_t *rooms, unsigned n, bool open);
/* A room could not be made unreachable: the monitor ends at once (its
 * mappings go with it, then the reaper frees its rooms). */
void doors_broken(struct doors *w) __attribute__((noreturn));
bool doors_contains(const struct doors *w, uint64_t gpa);
/* After KVM_RUN's EFAULT on thread `tid`: the guest-physical page whose
 * touch closed the window (the thread's own, else the first), if any. */
bool doors_fault_gpa(const struct doors *w, uint32_t tid, uint64_t *gpa);
/* Which of rooms [first, first + n) have a page-table entry now (the
 * kernel's word, from /proc/self/pagemap): bit i of out[i / 64]. 0 or -1. */
int doors_reachable(const struct doors *w, uint32_t first, uint32_t n, uint64_t *out);
void doors_fini(struct doors *w);
/* Time this thread spent in doors_turn since it last cleared
 * it, for the statistics (accumulated only when timing is on). */
extern __thread uint64_t doors_ns;
extern bool doors_timing;

#endif
