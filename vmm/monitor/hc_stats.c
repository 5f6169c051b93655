#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>

#include "clock.h"
#include "hc_stats.h"
#include "labyrinth_abi.h"

static int kind_of(uint32_t call, uint32_t count)
{
	if (call == LAB_HC_NULL)
		return HC_STAT_NULL;
	if (call == LAB_HC_CLAIM && count == 1)
		return HC_STAT_CLAIM1;
	if (call == LAB_HC_CLAIM && count == 64)
		return HC_STAT_CLAIM64;
	if (call == LAB_HC_RELEASE && count == 64)
		return HC_STAT_RELEASE64;
	return -1;
}


static void add(struct hc_stats *s, int k, uint64_t ns)
{
	if (s->n[k] < HC_STAT_SAMPLES)
		s->ns[k][s->n[k]++] = (uint32_t)(ns > UINT32_MAX ? UINT32_MAX : ns);
}

void hc_stats_record(struct hc_stats *s, uint32_t call, uint32_t count, uint64_t ns,
		     uint64_t window_ns)
{
	int k = kind_of(call, count);

	if (k < 0)
		return;
	add(s, k, ns);
	window_ns = window_ns < ns ? window_ns : ns;
	if (k == HC_STAT_CLAIM1) {
		add(s, HC_STAT_MAP1, window_ns);
		add(s, HC_STAT_OWN1, ns - window_ns);
	} else if (k == HC_STAT_CLAIM64) {
		add(s, HC_STAT_MAP64, window_ns);
		add(s, HC_STAT_OWN64, ns - window_ns);
	} else if (k == HC_STAT_RELEASE64) {
		add(s, HC_STAT_UNMAP64, window_ns);
		add(s, HC_STAT_OWN_RELEASE64, ns - window_ns);
	}
}

void hc_stats_probe_syscalls(struct hc_stats *s)
{
	uint64_t t0 = clock_ns();
	syscall(SYS_getppid);
	uint64_t t1 = clock_ns();
	syscall(SYS_getppid);
	uint64_t t2 = clock_ns();
	add(s, HC_STAT_SYSCALL_FIRST, t1 - t0);
	add(s, HC_STAT_SYSCALL_NEXT, t2 - t1);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void hc_stats_print(struct hc_stats *const *per_cpu, unsigned ncpus, int fd)
{
	static const struct { const char *name; unsigned per; } kinds[HC_STAT_KINDS] = {
		[HC_STAT_NULL] = {"vmm.handle.null", 1},
		[HC_STAT_CLAIM1] = {"vmm.handle.claim1", 1},
		[HC_STAT_CLAIM64] = {"vmm.handle.claim64.per_room", 64},
		[HC_STAT_RELEASE64] = {"vmm.handle.release64.per_room", 64},
		[HC_STAT_SYSCALL_FIRST] = {"host.syscall.first_after_exit", 1},
		[HC_STAT_SYSCALL_NEXT] = {"host.syscall.next", 1},
		[HC_STAT_MAP1] = {"map.uffd.in_monitor.map", 1},
		[HC_STAT_MAP64] = {"map.uffd.in_monitor.run64.per_room.map", 64},
		[HC_STAT_UNMAP64] = {"map.uffd.in_monitor.run64.per_room.unmap", 64},
		[HC_STAT_OWN1] = {"vmm.handle.claim1.own", 1},
		[HC_STAT_OWN64] = {"vmm.handle.claim64.own.per_room", 64},
		[HC_STAT_OWN_RELEASE64] = {"vmm.handle.release64.own.per_room", 64},
	};
	for (int k = 0; k < HC_STAT_KINDS; k++) {
		uint32_t *all = malloc(sizeof(uint32_t) * HC_STAT_SAMPLES * ncpus);
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
