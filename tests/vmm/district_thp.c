/* Is a district the monitor maps one huge page?  Maps 2 MiB of a pool
 * file as the room window does (shared, MADV_HUGEPAGE, registered with a
 * userfaultfd for minor and missing faults, emptied, then one
 * UFFDIO_CONTINUE of the whole district) and prints what /proc/self/smaps
 * says of it (ShmemPmdMapped, FilePmdMapped, THPeligible) and the
 * ShmemHugePages of /proc/meminfo.
 *   district_thp                a memfd (shmem_enabled rules it)
 *   district_thp tmpfs          a file of a tmpfs mounted huge=always in a
 *                               mount namespace of its own (root; no system
 *                               setting changes)
 *   district_thp tmpfs fault    the same mapped by plain faults, no uffd
 * README, "Districts": what it showed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#define MB2 (2ul << 20)
static void smaps(char *va, const char *what)
{
	FILE *f = fopen("/proc/self/smaps", "r"); char line[256]; int in = 0;
	char want[32]; snprintf(want, sizeof want, "%lx-", (unsigned long)va);
	while (fgets(line, sizeof line, f)) {
		if (line[0] != ' ' && strchr(line, '-') && strchr(line, '-') < strchr(line, ' ') && !strstr(line, "kB")) in = !strncmp(line, want, strlen(want));
		else if (in && (strstr(line, "PmdMapped") || strstr(line, "Rss:") || strstr(line, "THPeligible")))
			printf("%s: %s", what, line);
	}
	fclose(f);
}
int main(int argc, char **argv)
{
	int tmpfs = argc > 1 && !strcmp(argv[1], "tmpfs"), uffd_on = !(argc > 2 && !strcmp(argv[2], "fault"));
	char dir[] = "/tmp/district-thp-XXXXXX";
	int fd;

	if (tmpfs) {
		if (!mkdtemp(dir) || chdir(dir)) { perror(dir); return 1; }
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("tmpfs", dir, "tmpfs", 0, "huge=always,size=16m")) { perror("mount"); return 1; }
		if (chdir(dir)) { perror(dir); return 1; }
		fd = open("pool", O_RDWR | O_CREAT, 0600);
	} else fd = memfd_create("district-thp", 0);
	if (ftruncate(fd, 2 * MB2) || fallocate(fd, 0, 0, 2 * MB2)) { perror("fallocate"); return 1; }
	char *r = mmap(NULL, 4 * MB2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *va = (char *)(((uintptr_t)r + MB2 - 1) & ~(MB2 - 1));
	va = mmap(va, 2 * MB2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	madvise(va, 2 * MB2, MADV_HUGEPAGE);
	if (uffd_on) {
		int u = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_MINOR_SHMEM};
		struct uffdio_register reg = {.range = {(uintptr_t)va, 2 * MB2}, .mode = UFFDIO_REGISTER_MODE_MINOR | UFFDIO_REGISTER_MODE_MISSING};
		if (u < 0 || ioctl(u, UFFDIO_API, &api) || ioctl(u, UFFDIO_REGISTER, &reg)) { perror("uffd"); return 1; }
		madvise(va, 2 * MB2, MADV_DONTNEED);
		struct uffdio_continue c = {.range = {(uintptr_t)va, MB2}};
		if (ioctl(u, UFFDIO_CONTINUE, &c)) { perror("continue"); return 1; }
	} else {
		for (size_t i = 0; i < MB2; i += 4096) va[i] = 1;
	}
	printf("%s %s\n", tmpfs ? "tmpfs huge=always" : "memfd", uffd_on ? "UFFDIO_CONTINUE 2 MiB" : "plain faults");
	smaps(va, "  ");
	FILE *m = fopen("/proc/meminfo", "r"); char l[128]; while (fgets(l, sizeof l, m)) if (strstr(l, "ShmemHugePages")) printf("  %s", l);
	if (tmpfs) {
		munmap(va, 2 * MB2);
		close(fd);
		if (chdir("/") || umount(dir) || rmdir(dir))
			perror(dir);
	}
	return 0;
}
