/* How to make one room appear in, and vanish from, one guest: the host-side
 * cost of each strategy that keeps rooms exclusive, measured natively.
 *   memslot_per_room   KVM_SET_USER_MEMORY_REGION: add a 4 KiB slot, delete it
 *   memslot_per_district  the same for a 2 MiB slot (per room: / 512; only
 *                      exclusive if a district has one owner)
 *   window_remap       one window memslot; mmap MAP_FIXED of the room's pool
 *                      page over PROT_NONE, then PROT_NONE back (what vmm/ does)
 *   window_remap.run64 the same for a run of 64 contiguous rooms, per room
 *   window_uffd        what vmm/ keeps: one shared read/write window whose page
 *                      table entries are gated by a userfaultfd (minor +
 *                      missing faults, SIGBUS); UFFDIO_CONTINUE makes a room
 *                      reachable, MADV_DONTNEED zaps it (medians of single
 *                      operations, so map and unmap are each the bare cost)
 *   window_mprotect    the previous design: mprotect RW / PROT_NONE
 * guest_memfd is not measured: its memory is private to one VM by design, so
 * a room could not move between guests without KVM_SET_MEMORY_ATTRIBUTES,
 * which this host does not offer. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "test_clock.h"
#include "test_median.h"

#define ROOM 4096ul
#define ROOMS 1024ul
#define ROUNDS 2000

static int set_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t size, void *va)
{
	struct kvm_userspace_memory_region r = {slot, 0, gpa, size, (uintptr_t)va};
	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void bench_memslot(int vm, uint8_t *pool, uint64_t size, const char *name, unsigned per)
{
	/* Some live slots, as a guest holding rooms would have. */
	for (uint32_t s = 0; s < 64; s++)
		if (set_slot(vm, 100 + s, (8ull << 30) + s * size, ROOM, pool + s * ROOM))
			return perror("KVM_SET_USER_MEMORY_REGION");
	double t0 = wall_ns();
	unsigned rounds = per > 1 ? ROUNDS / 10 : ROUNDS;
	for (unsigned i = 0; i < rounds; i++) {
		if (set_slot(vm, 10, 4ull << 30, size, pool) || set_slot(vm, 10, 4ull << 30, 0, pool))
			return perror("memslot");
	}
	printf("BENCH map.%s.map_unmap %.0f ns\n", name, (wall_ns() - t0) / rounds / per);
}

static void bench_remap(int vm, int fd, unsigned run, const char *name)
{
	uint8_t *win = mmap(NULL, ROOMS * ROOM, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (win == MAP_FAILED || set_slot(vm, 20, 16ull << 30, ROOMS * ROOM, win))
		return perror("window");
	double t0 = wall_ns();
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t room = (i * 7 * run) % (ROOMS - run);
		void *at = win + room * ROOM;
		if (mmap(at, run * ROOM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)(room * ROOM)) != at ||
		    mmap(at, run * ROOM, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			 MAP_FIXED, -1, 0) != at)
			return perror("remap");
	}
	printf("BENCH map.%s.map_unmap %.0f ns\n", name, (wall_ns() - t0) / ROUNDS / run);
	set_slot(vm, 20, 16ull << 30, 0, win);
	munmap(win, ROOMS * ROOM);
}

/* The window maps the whole pool file PROT_NONE; a claim is mprotect RW. */
static void bench_protect(int vm, int fd, unsigned run, const char *name)
{
	uint8_t *win = mmap(NULL, ROOMS * ROOM, PROT_NONE, MAP_SHARED, fd, 0);
	if (win == MAP_FAILED || set_slot(vm, 21, 20ull << 30, ROOMS * ROOM, win))
		return perror("window");
	double map = 0, unmap = 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t room = (i * 7 * run) % (ROOMS - run);
		double t0 = wall_ns();
		if (mprotect(win + room * ROOM, run * ROOM, PROT_READ | PROT_WRITE))
			return perror("mprotect");
		double t1 = wall_ns();
		if (mprotect(win + room * ROOM, run * ROOM, PROT_NONE))
			return perror("mprotect");
		map += t1 - t0;
		unmap += wall_ns() - t1;
	}
	printf("BENCH map.%s.map %.0f ns\n", name, map / ROUNDS / run);
	printf("BENCH map.%s.unmap %.0f ns\n", name, unmap / ROUNDS / run);
	set_slot(vm, 21, 20ull << 30, 0, win);
	munmap(win, ROOMS * ROOM);
}

static void bench_uffd(int vm, int fd, unsigned run, const char *name)
{
	static double map[ROUNDS], unmap[ROUNDS];
	uint8_t *win = mmap(NULL, ROOMS * ROOM, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	struct uffdio_api api = {.api = UFFD_API,
				 .features = UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_SIGBUS};
	struct uffdio_register reg = {
		.range = {.start = (uintptr_t)win, .len = ROOMS * ROOM},
		.mode = UFFDIO_REGISTER_MODE_MINOR | UFFDIO_REGISTER_MODE_MISSING};

	if (win == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg) || madvise(win, ROOMS * ROOM, MADV_DONTNEED) ||
	    set_slot(vm, 22, 24ull << 30, ROOMS * ROOM, win))
		return perror("uffd window");
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t room = (i * 7 * run) % (ROOMS - run);
		struct uffdio_continue c = {
			.range = {.start = (uintptr_t)win + room * ROOM, .len = run * ROOM}};
		double t0 = wall_ns();
		if (ioctl(uffd, UFFDIO_CONTINUE, &c))
			return perror("UFFDIO_CONTINUE");
		double t1 = wall_ns();
		win[room * ROOM] = 1;	/* touched, as a guest would */
		double t2 = wall_ns();
		if (madvise(win + room * ROOM, run * ROOM, MADV_DONTNEED))
			return perror("MADV_DONTNEED");
		map[i] = (t1 - t0) / run;
		unmap[i] = (wall_ns() - t2) / run;
	}
	printf("BENCH map.%s.map %.0f ns\n", name, median_of(map, ROUNDS));
	printf("BENCH map.%s.unmap %.0f ns\n", name, median_of(unmap, ROUNDS));
	set_slot(vm, 22, 24ull << 30, 0, win);
	munmap(win, ROOMS * ROOM);
	close(uffd);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	int fd = memfd_create("rooms", MFD_CLOEXEC);
	if (vm < 0 || fd < 0 || ftruncate(fd, (off_t)(ROOMS * ROOM))) {
		printf("map_strategies: no KVM here (skipped)\n");
		return 0;
	}
	uint8_t *pool = mmap(NULL, ROOMS * ROOM, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_POPULATE, fd, 0);
	if (pool == MAP_FAILED)
		return 1;
	bench_memslot(vm, pool, ROOM, "memslot_per_room", 1);
	bench_memslot(vm, pool, 512 * ROOM, "memslot_per_district.per_room", 512);
	bench_remap(vm, fd, 1, "window_remap");
	bench_remap(vm, fd, 64, "window_remap.run64.per_room");
	bench_protect(vm, fd, 1, "window_mprotect");
	bench_protect(vm, fd, 64, "window_mprotect.run64.per_room");
	bench_uffd(vm, fd, 1, "window_uffd");
	bench_uffd(vm, fd, 64, "window_uffd.run64.per_room");
	return 0;
}
