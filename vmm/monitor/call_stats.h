/* Handling time of hypercalls inside the monitor: from KVM_RUN returning
 * with the exit to the next KVM_RUN, the part of a hypercall that is ours.
 * Collected per vCPU (no sharing on the hot path) when --hc-stats is given,
 * printed as BENCH lines (medians) when the VM ends. */
#ifndef VMM_CALL_STATS_H
#define VMM_CALL_STATS_H

#include <stdint.h>

enum call_stat_kind { CALL_STAT_NULL, CALL_STAT_CLAIM1, CALL_STAT_CLAIM64, CALL_STAT_RELEASE64,
		    CALL_STAT_SYSCALL_FIRST, CALL_STAT_SYSCALL_NEXT,
		    /* the window's primitive alone, inside the same calls */
		    CALL_STAT_MAP1, CALL_STAT_MAP64, CALL_STAT_UNMAP64,
		    /* and the rest, call by call: the monitor's own share */
		    CALL_STAT_OWN1, CALL_STAT_OWN64, CALL_STAT_OWN_RELEASE64, CALL_STAT_KINDS };

#define CALL_STAT_SAMPLES 8192

struct call_stats {
	uint32_t n[CALL_STAT_KINDS];
	uint32_t ns[CALL_STAT_KINDS][CALL_STAT_SAMPLES];
};

/* Records one handled call of `call` with `count` rooms taking `ns`, of
 * which `doors_ns` in the room window's primitive (UFFDIO_CONTINUE or
 * MADV_DONTNEED): what is left is the monitor's own. */
void call_stats_record(struct call_stats *s, uint32_t call, uint32_t count, uint64_t ns,
		     uint64_t doors_ns);
/* The price of the host, not of our code: a trivial syscall made first
 * after a KVM exit, and the one right after it. Called after some NULL calls
 * (the claim path's mprotect pays the first price too). */
void call_stats_probe_syscalls(struct call_stats *s);
/* Prints the medians of all vCPUs' samples to `out`, one BENCH line per kind seen. */
void call_stats_print(struct call_stats *const *per_cpu, unsigned ncpus, int fd);

#endif
