#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>

#include "clock.h"
#include "call_stats.h"
#include "labyrinth_abi.h"

static int kind_of(uint32_t call, uint32_t count)
{
	if (call == LAB_HC_NULL)
		return CALL_STAT_NULL;
	if (call == LAB_HC_CLAIM && count == 1)
		return CALL_STAT_CLAIM1;
	if (call == LAB_HC_CLAIM && count == 64)
		return CALL_STAT_CLAIM64;
	if (call == LAB_HC_RELEASE && count == 64)
		return CALL_STAT_RELEASE64;
	return -1;
}


static void add(struct call_stats *s, int k, uint64_t ns)
{
	if (s->n[k] < CALL_STAT_SAMPLES)
		s->ns[k][s->n[k]++] = (uint32_t)(ns > UINT32_MAX ? UINT32_MAX : ns);
}

void call_stats_record(struct call_stats *s, uint32_t call, uint32_t count, uint64_t ns,
		     uint64_t doors_ns)
{
	int k = kind_of(call, count);

	if (k < 0)
		return;
	add(s, k, ns);
	doors_ns = doors_ns < ns ? doors_ns : ns;
	if (k == CALL_STAT_CLAIM1) {
		add(s, CALL_STAT_MAP1, doors_ns);
		add(s, CALL_STAT_OWN1, ns - doors_ns);
	} else if (k == CALL_STAT_CLAIM64) {
		add(s, CALL_STAT_MAP64, doors_ns);
		add(s, CALL_STAT_OWN64, ns - doors_ns);
	} else if (k == CALL_STAT_RELEASE64) {
		add(s, CALL_STAT_UNMAP64, doors_ns);
		add(s, CALL_STAT_OWN_RELEASE64, ns - doors_ns);
	}
}

void call_stats_probe_syscalls(struct call_stats *s)
{
	uint64_t t0 = clock_ns();
	syscall(SYS_getppid);
	uint64_t t1 = clock_ns();
	syscall(SYS_getppid);
	uint64_t t2 = clock_ns();
	add(s, CALL_STAT_SYSCALL_FIRST, t1 - t0);
	add(s, CALL_STAT_SYSCALL_NEXT, t2 - t1);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void call_stats_print(struct call_stats *const *per_cpu, unsigned ncpus, int fd)
{
	static const struct { const char *name; unsigned per; } kinds[CALL_STAT_KINDS] = {
		[CALL_STAT_NULL] = {"vmm.handle.null", 1},
		[CALL_STAT_CLAIM1] = {"vmm.handle.claim1", 1},
		[CALL_STAT_CLAIM64] = {"vmm.handle.claim64.per_room", 64},
		[CALL_STAT_RELEASE64] = {"vmm.handle.release64.per_room", 64},
		[CALL_STAT_SYSCALL_FIRST] = {"host.syscall.first_after_exit", 1},
		[CALL_STAT_SYSCALL_NEXT] = {"host.syscall.next", 1},
		[CALL_STAT_MAP1] = {"map.uffd.in_monitor.map", 1},
		[CALL_STAT_MAP64] = {"map.uffd.in_monitor.run64.per_room.map", 64},
		[CALL_STAT_UNMAP64] = {"map.uffd.in_monitor.run64.per_room.unmap", 64},
		[CALL_STAT_OWN1] = {"vmm.handle.claim1.own", 1},
		[CALL_STAT_OWN64] = {"vmm.handle.claim64.own.per_room", 64},
		[CALL_STAT_OWN_RELEASE64] = {"vmm.handle.release64.own.per_room", 64},
	};
	for (int k = 0; k < CALL_STAT_KINDS; k++) {
		uint32_t *all = malloc(sizeof(uint32_t) * CALL_STAT_SAMPLES * ncpus);
		unsigned n = 0;
		for (unsigned c = 0; all && c < ncpus; c++)
			for (unsigned i = 0; per_cpu[c] && i < per_cpu[c]->n[k]; i++)
				all[n++] = per_cpu[c]->ns[k][i];
		if (n) {
			qsort(all, n, sizeof(*all), cmp_u32);
			dprintf(fd, "BENCH %s %u ns\n", kinds[k].name, all[n / 2] / kinds[k].per);
		}
		free(all);
	}
}
