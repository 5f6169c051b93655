#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "window.h"

#define ROOM_SHIFT 12


int window_init(struct window *w, uint64_t gpa, uint32_t rooms, int pool_fd)
{
	memset(w, 0, sizeof(*w));
	w->gpa = gpa;
	w->rooms = rooms;
	w->size = (uint64_t)rooms << ROOM_SHIFT;
	w->pool_fd = pool_fd;
	/* The whole pool, inaccessible: room i sits at window page i from the
	 * start, so claiming it is an mprotect, not a new mapping. */
	w->va = mmap(NULL, w->size, PROT_NONE, MAP_SHARED, pool_fd, 0);
	if (w->va == MAP_FAILED) {
		w->va = NULL;
		fprintf(stderr, "vmm: cannot reserve the room window: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int window_register(struct window *w, int vm_fd, uint32_t slot)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = w->gpa,
		.memory_size = w->size,
		.userspace_addr = (uintptr_t)w->va,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0)
		return 0;
	fprintf(stderr, "vmm: cannot register the room window: %s\n", strerror(errno));
	return -1;
}

static int in_range(const struct window *w, uint32_t first, uint32_t n)
{
	return n && first < w->rooms && n <= w->rooms - first;
}

int window_map(struct window *w, uint32_t first, uint32_t n)
{
	if (!in_range(w, first, n))
		return -1;
	return mprotect(w->va + ((uint64_t)first << ROOM_SHIFT), (size_t)n << ROOM_SHIFT,
			PROT_READ | PROT_WRITE);
}

int window_unmap(struct window *w, uint32_t first, uint32_t n)
{
	if (!in_range(w, first, n))
		return -1;
	return mprotect(w->va + ((uint64_t)first << ROOM_SHIFT), (size_t)n << ROOM_SHIFT,
			PROT_NONE);
}

void window_broken(struct window *w)
{
	fprintf(stderr, "vmm: cannot take rooms out of the window (%s); ending so that "
		"the labyrinth's reaper takes them back\n", strerror(errno));
	(void)w;
	abort();
}

bool window_contains(const struct window *w, uint64_t gpa)
{
	return gpa >= w->gpa && gpa - w->gpa < w->size;
}

void window_fini(struct window *w)
{
	if (w->va)
		munmap(w->va, w->size);
	w->va = NULL;
}
