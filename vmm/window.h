/* The room window: a guest-physical range, backed by one memslot over a
 * reserved host address range, into which claimed rooms are mapped one run
 * at a time (mmap MAP_FIXED of the labyrinth's pool file). What is not
 * mapped is PROT_NONE, so a guest touch there leaves KVM_RUN as an MMIO
 * exit at that address instead of reaching any host page. Remapping a page
 * of a memslot's range makes KVM's MMU notifier drop the old translation
 * before mmap returns: after window_unmap() no vCPU of this guest can reach
 * the room, which is what lets the room be scrubbed and handed on. */
#ifndef VMM_WINDOW_H
#define VMM_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct window {
	uint64_t gpa;		/* guest-physical base */
	uint64_t size;		/* rooms * 4 KiB */
	uint32_t rooms;
	uint8_t *va;		/* reserved host range backing the memslot */
	int pool_fd;		/* room i at offset i * 4 KiB */
};

int window_init(struct window *w, uint64_t gpa, uint32_t rooms, int pool_fd);
/* Registers the window as memslot `slot` of VM `vm_fd`. */
int window_register(struct window *w, int vm_fd, uint32_t slot);
/* Rooms [first, first + n) appear at their window addresses / disappear. */
int window_map(struct window *w, uint32_t first, uint32_t n);
int window_unmap(struct window *w, uint32_t first, uint32_t n);
bool window_contains(const struct window *w, uint64_t gpa);
void window_fini(struct window *w);

#endif
