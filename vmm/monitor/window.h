/* The room window: a guest-physical range backed by one memslot over a
 * host mapping of the whole labyrinth pool file, PROT_NONE. Room i sits at
 * window page i; claiming it makes that page (or a run of pages) readable
 * and writable with mprotect, releasing makes it PROT_NONE again. KVM only
 * reaches host pages through the VMA's permissions, so a guest touch of a
 * room it does not hold leaves KVM_RUN (an MMIO exit, or EFAULT with the
 * address) instead of reaching the page. Taking permissions away makes
 * KVM's MMU notifier drop the translation before mprotect returns: after
 * window_unmap() no vCPU of this guest can reach the room, which is what
 * lets the room be scrubbed and handed on. (Measured against a memslot per
 * room and against mmap(MAP_FIXED) remapping: tests/bench/map_strategies.c.) */
#ifndef VMM_WINDOW_H
#define VMM_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct window {
	uint64_t gpa;		/* guest-physical base */
	uint64_t size;		/* rooms * 4 KiB */
	uint32_t rooms;
	uint8_t *va;		/* the pool, mapped PROT_NONE, backing the memslot */
	int pool_fd;		/* room i at offset i * 4 KiB */
};

int window_init(struct window *w, uint64_t gpa, uint32_t rooms, int pool_fd);
/* Registers the window as memslot `slot` of VM `vm_fd`. */
int window_register(struct window *w, int vm_fd, uint32_t slot);
/* Rooms [first, first + n) appear at their window addresses / disappear. */
int window_map(struct window *w, uint32_t first, uint32_t n);
int window_unmap(struct window *w, uint32_t first, uint32_t n);
/* A room could not be made unreachable: the monitor ends at once (its
 * mappings go with it, then the reaper frees its rooms). */
void window_broken(struct window *w) __attribute__((noreturn));
bool window_contains(const struct window *w, uint64_t gpa);
void window_fini(struct window *w);

#endif
