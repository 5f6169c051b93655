#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "doors.h"
#include "labyrinth_audit.h"

#define ROOM_SHIFT 12

static int doors_error(const char *what)
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
static int doors_uffd(void)
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
 * missing ones (a hole in the pool) are never served: entries appear only
 * by UFFDIO_CONTINUE. A fault waits in the kernel for the watcher, which
 * learns from it the address and the thread (KVM_RUN's EFAULT says
 * neither on most hosts), then closes the window so that it fails. */
static int doors_arm(struct doors *g)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_THREAD_ID,
	};
	struct uffdio_register reg = {
		.range = {.start = (uintptr_t)g->va, .len = g->size},
		.mode = UFFDIO_REGISTER_MODE_MINOR | UFFDIO_REGISTER_MODE_MISSING,
	};

	g->uffd = doors_uffd();
	if (g->uffd < 0)
		return doors_error("userfaultfd (a user other than root needs read and write "
				    "access to /dev/userfaultfd, or vm.unprivileged_userfaultfd=1)");
	if (ioctl(g->uffd, UFFDIO_API, &api))
		return doors_error("UFFDIO_API (minor faults on shmem, thread ids)");
	if (ioctl(g->uffd, UFFDIO_REGISTER, &reg))
		return doors_error("UFFDIO_REGISTER");
	if (!(reg.ioctls & (1ull << _UFFDIO_CONTINUE))) {
		errno = ENOTSUP;
		return doors_error("UFFDIO_CONTINUE");
	}
	/* No entry at all to begin with: nothing is reachable. */
	if (madvise(g->va, g->size, MADV_DONTNEED))
		return doors_error("MADV_DONTNEED");
	return 0;
}

/* One shared mapping per extent, in order, over one reserved range: as
 * many mappings as extents (LAB_EXTENTS_MAX at most), whatever the guest
 * holds. */
static int doors_map_extents(struct doors *g, const struct labyrinth *lab)
{
	uint64_t span = (uint64_t)lab_extent_rooms(lab) << ROOM_SHIFT;

	g->va = mmap(NULL, g->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	if (g->va == MAP_FAILED) {
		g->va = NULL;
		return doors_error("cannot reserve the window");
	}
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		uint64_t at = k * span, len = g->size - at < span ? g->size - at : span;

		if (mmap(g->va + at, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE | MAP_FIXED, lab_extent_fd(lab, k),
			 0) == MAP_FAILED)
			return doors_error("cannot map an extent of the pool");
	}
	return 0;
}

/* A touch of a page without an entry: noted (who, where), then the whole
 * window is replaced by an inaccessible mapping, so nothing of the pool is
 * reachable through it any more, and the faults waiting are woken to find
 * that: KVM_RUN returns EFAULT and the vCPU asks doors_fault_gpa(). The
 * monitor ends there; the guest's rooms go back when its lease does. */
static void doors_shut(struct doors *g, const struct uffd_msg *m)
{
	unsigned n = __atomic_load_n(&g->nfaults, __ATOMIC_RELAXED);

	if (n < DOORS_FAULTS_KEPT) {
		g->faults[n].tid = m->arg.pagefault.feat.ptid;
		g->faults[n].gpa = g->gpa + (m->arg.pagefault.address - (uintptr_t)g->va);
		__atomic_store_n(&g->nfaults, n + 1, __ATOMIC_RELEASE);
	}
	if (mmap(g->va, g->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		doors_broken(g);
	struct uffdio_range all = {.start = (uintptr_t)g->va, .len = g->size};
	if (ioctl(g->uffd, UFFDIO_WAKE, &all))
		doors_broken(g);
}

static void *doors_watch(void *arg)
{
	struct doors *g = arg;
	struct pollfd p[2] = {{.fd = g->uffd, .events = POLLIN}, {.fd = g->stop[0], .events = POLLIN}};

	for (;;) {
		struct uffd_msg m;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (read(g->uffd, &m, sizeof(m)) == sizeof(m) && m.event == UFFD_EVENT_PAGEFAULT)
			doors_shut(g, &m);
	}
	return NULL;
}

/* The watcher takes no signal: the monitor's signal thread takes them all. */
static int doors_start_watch(struct doors *g)
{
	sigset_t all, old;
	int err;

	if (pipe2(g->stop, O_CLOEXEC))
		return doors_error("pipe");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&g->watcher, NULL, doors_watch, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		return doors_error("cannot start the fault watcher");
	}
	g->watching = true;
	return 0;
}

bool doors_fault_gpa(const struct doors *g, uint32_t tid, uint64_t *gpa)
{
	unsigned n = __atomic_load_n(&g->nfaults, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++) {
		if (g->faults[i].tid == tid) {
			*gpa = g->faults[i].gpa;
			return true;
		}
	}
	/* a fault another thread (KVM's async page faults) took for this vCPU */
	if (n)
		*gpa = g->faults[0].gpa;
	return n > 0;
}

int doors_init(struct doors *g, uint64_t gpa, const struct labyrinth *lab)
{
	memset(g, 0, sizeof(*g));
	g->gpa = gpa;
	g->rooms = lab_rooms(lab);
	g->size = (uint64_t)g->rooms << ROOM_SHIFT;
	g->uffd = -1;
	g->stop[0] = g->stop[1] = -1;
	if (doors_map_extents(g, lab) || doors_arm(g) || doors_start_watch(g)) {
		doors_fini(g);
		return -1;
	}
	return 0;
}

int doors_register(struct doors *g, int vm_fd, uint32_t slot)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = g->gpa,
		.memory_size = g->size,
		.userspace_addr = (uintptr_t)g->va,
	};
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0)
		return 0;
	return doors_error("cannot register the memslot");
}

static bool in_range(const struct doors *g, uint32_t first, uint32_t n)
{
	return n && first < g->rooms && n <= g->rooms - first;
}

__thread uint64_t doors_ns;
bool doors_timing;

/* The end of the run of consecutive rooms that begins at rooms[i]. */
static unsigned run_end(const uint32_t *rooms, unsigned n, unsigned i)
{
	while (++i < n && rooms[i] == rooms[i - 1] + 1)
		;
	return i;
}

int doors_turn(struct doors *g, const uint32_t *rooms, unsigned n, bool open)
{
	uint64_t t0 = doors_timing ? clock_ns() : 0;
	int rc = 0;

	for (unsigned i = 0, j; i < n && !rc; i = j) {
		uint64_t at = (uintptr_t)g->va + ((uint64_t)rooms[i] << ROOM_SHIFT), end;

		j = run_end(rooms, n, i);
		end = at + ((uint64_t)(j - i) << ROOM_SHIFT);
		if (!in_range(g, rooms[i], j - i))
			rc = -1;
		else if (!open)
			rc = madvise((void *)(uintptr_t)at, end - at, MADV_DONTNEED) ? -1 : 0;
		/* UFFDIO_CONTINUE may stop part way (a signal, or an entry that
		 * exists already): on from where it stopped, over existing entries. */
		while (open && !rc && at < end) {
			struct uffdio_continue c = {.range = {.start = at, .len = end - at}};

			if (ioctl(g->uffd, UFFDIO_CONTINUE, &c) == 0)
				at = end;
			else if (c.mapped > 0)
				at += (uint64_t)c.mapped;
			else if (errno == EEXIST)
				at += 1ull << ROOM_SHIFT;
			else if (errno != EAGAIN && errno != EINTR)
				rc = -1;
		}
	}
	if (doors_timing)
		doors_ns += clock_ns() - t0;
	return rc;
}

void doors_broken(struct doors *g)
{
	fprintf(stderr, "vmm: cannot take rooms out of the window (%s); ending so that "
		"the labyrinth's reaper takes them back\n", strerror(errno));
	(void)g;
	abort();
}

bool doors_contains(const struct doors *g, uint64_t gpa)
{
	return gpa >= g->gpa && gpa - g->gpa < g->size;
}

int doors_reachable(const struct doors *g, uint32_t first, uint32_t n, uint64_t *out)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = in_range(g, first, n)
		     ? lab_pagemap_present(fd, (uintptr_t)g->va + ((uint64_t)first << ROOM_SHIFT),
					   n, out)
		     : -1;
	close(fd);
	return rc;
}

void doors_fini(struct doors *g)
{
	if (g->watching) {
		if (write(g->stop[1], "", 1) == 1)
			pthread_join(g->watcher, NULL);
		g->watching = false;
	}
	for (int i = 0; i < 2; i++)
		if (g->stop[i] >= 0)
			close(g->stop[i]);
	g->stop[0] = g->stop[1] = -1;
	if (g->va)
		munmap(g->va, g->size);
	if (g->uffd >= 0)
		close(g->uffd);
	g->va = NULL;
	g->uffd = -1;
}
