#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "window.h"

#define ROOM_SHIFT 12
#define PAGEMAP_PRESENT (1ull << 63)

static int window_error(const char *what)
{
	fprintf(stderr, "vmm: room window: %s: %s\n", what, strerror(errno));
	return -1;
}

/*
 * A userfaultfd that also sees KVM's faults (not user-mode only): the
 * system call, which unprivileged users get only with
 * vm.unprivileged_userfaultfd=1, else /dev/userfaultfd (Linux 6.1), whose
 * file mode lets an administrator give it to the users who run guests
 * (the kvm group, say), as /dev/kvm's does.
 */
static int window_uffd(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), dev, err;

	if (fd >= 0 || errno != EPERM)
		return fd;
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		errno = EPERM;	/* the system call's answer is the one to explain */
		return -1;
	}
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	err = errno;
	close(dev);
	errno = err;
	return fd;
}

/* Minor faults (the page is in the pool, but has no entry here) and
 * missing ones (a hole in the pool) both end as SIGBUS, never served:
 * nobody reads this userfaultfd, entries appear only by UFFDIO_CONTINUE. */
static int window_gate(struct window *w)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_SIGBUS,
	};
	struct uffdio_register reg = {
		.range = {.start = (uintptr_t)w->va, .len = w->size},
		.mode = UFFDIO_REGISTER_MODE_MINOR | UFFDIO_REGISTER_MODE_MISSING,
	};

	w->uffd = window_uffd();
	if (w->uffd < 0)
		return window_error("userfaultfd (a user other than root needs read and write "
				    "access to /dev/userfaultfd, or vm.unprivileged_userfaultfd=1)");
	if (ioctl(w->uffd, UFFDIO_API, &api))
		return window_error("UFFDIO_API (minor faults on shmem, SIGBUS)");
	if (ioctl(w->uffd, UFFDIO_REGISTER, &reg))
		return window_error("UFFDIO_REGISTER");
	if (!(reg.ioctls & (1ull << _UFFDIO_CONTINUE))) {
		errno = ENOTSUP;
		return window_error("UFFDIO_CONTINUE");
	}
	/* No entry at all to begin with: nothing is reachable. */
	if (madvise(w->va, w->size, MADV_DONTNEED))
		return window_error("MADV_DONTNEED");
	return 0;
}

/* One shared mapping per extent, in order, over one reserved range: as
 * many mappings as extents (LAB_EXTENTS_MAX at most), whatever the guest
 * holds. */
static int window_map_extents(struct window *w, const struct labyrinth *lab)
{
	uint64_t span = (uint64_t)lab_extent_rooms(lab) << ROOM_SHIFT;

	w->va = mmap(NULL, w->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	if (w->va == MAP_FAILED) {
		w->va = NULL;
		return window_error("cannot reserve the window");
	}
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		uint64_t at = k * span, len = w->size - at < span ? w->size - at : span;

		if (mmap(w->va + at, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE | MAP_FIXED, lab_extent_fd(lab, k),
			 0) == MAP_FAILED)
			return window_error("cannot map an extent of the pool");
	}
	return 0;
}

int window_init(struct window *w, uint64_t gpa, const struct labyrinth *lab)
{
	memset(w, 0, sizeof(*w));
	w->gpa = gpa;
	w->rooms = lab_rooms(lab);
	w->size = (uint64_t)w->rooms << ROOM_SHIFT;
	w->uffd = -1;
	if (window_map_extents(w, lab) || window_gate(w)) {
		window_fini(w);
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
	return window_error("cannot register the memslot");
}

static bool in_range(const struct window *w, uint32_t first, uint32_t n)
{
	return n && first < w->rooms && n <= w->rooms - first;
}

/* UFFDIO_CONTINUE may stop part way (a signal, or an entry that exists
 * already): go on from where it stopped, stepping over existing entries. */
__thread uint64_t window_ns;
bool window_timing;

int window_map(struct window *w, uint32_t first, uint32_t n)
{
	uint64_t at = (uintptr_t)w->va + ((uint64_t)first << ROOM_SHIFT);
	uint64_t end = at + ((uint64_t)n << ROOM_SHIFT);

	if (!in_range(w, first, n))
		return -1;
	while (at < end) {
		struct uffdio_continue c = {.range = {.start = at, .len = end - at}};

		if (ioctl(w->uffd, UFFDIO_CONTINUE, &c) == 0) {
			at = end;
		} else if (c.mapped > 0) {
			at += (uint64_t)c.mapped;
		} else if (errno == EEXIST) {
			at += 1ull << ROOM_SHIFT;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

int window_unmap(struct window *w, uint32_t first, uint32_t n)
{
	if (!in_range(w, first, n))
		return -1;
	return madvise(w->va + ((uint64_t)first << ROOM_SHIFT), (size_t)n << ROOM_SHIFT,
		       MADV_DONTNEED);
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

int window_reachable(const struct window *w, uint32_t first, uint32_t n, uint64_t *out)
{
	uint64_t entries[512];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !in_range(w, first, n)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(out, 0, (n + 63) / 64 * sizeof(*out));
	for (uint32_t i = 0; i < n;) {
		uint32_t k = n - i < 512 ? n - i : 512;
		off_t at = (off_t)(((uintptr_t)w->va >> ROOM_SHIFT) + first + i) * 8;

		if (pread(fd, entries, k * 8, at) != (ssize_t)(k * 8)) {
			close(fd);
			return -1;
		}
		for (uint32_t j = 0; j < k; j++, i++)
			if (entries[j] & PAGEMAP_PRESENT)
				out[i / 64] |= 1ull << (i % 64);
	}
	close(fd);
	return 0;
}

void window_fini(struct window *w)
{
	if (w->va)
		munmap(w->va, w->size);
	if (w->uffd >= 0)
		close(w->uffd);
	w->va = NULL;
	w->uffd = -1;
}
