#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "window.h"

#define ROOM_SHIFT 12

/* PROT_NONE and never backed: the state of every unclaimed window page. */
static void *reserve(void *at, size_t len)
{
	int fixed = at ? MAP_FIXED : 0;
	return mmap(at, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | fixed,
		    -1, 0);
}

int window_init(struct window *w, uint64_t gpa, uint32_t rooms, int pool_fd)
{
	memset(w, 0, sizeof(*w));
	w->gpa = gpa;
	w->rooms = rooms;
	w->size = (uint64_t)rooms << ROOM_SHIFT;
	w->pool_fd = pool_fd;
	w->va = reserve(NULL, w->size);
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
	void *at = w->va + ((uint64_t)first << ROOM_SHIFT);
	void *p = mmap(at, (size_t)n << ROOM_SHIFT, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, w->pool_fd, (off_t)first << ROOM_SHIFT);
	return p == at ? 0 : -1;
}

int window_unmap(struct window *w, uint32_t first, uint32_t n)
{
	if (!in_range(w, first, n))
		return -1;
	void *at = w->va + ((uint64_t)first << ROOM_SHIFT);
	return reserve(at, (size_t)n << ROOM_SHIFT) == at ? 0 : -1;
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
