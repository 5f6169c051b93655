/* Handling time of hypercalls inside the monitor: from KVM_RUN returning
 * with the exit to the next KVM_RUN, the part of a hypercall that is ours.
 * Collected per vCPU (no sharing on the hot path) when --hc-stats is given,
 * printed as BENCH lines (medians) when the VM ends. */
#ifndef VMM_HC_STATS_H
#define VMM_HC_STATS_H

#include <stdint.h>

enum hc_stat_kind { HC_STAT_NULL, HC_STAT_CLAIM1, HC_STAT_CLAIM64, HC_STAT_RELEASE64,
		    HC_STAT_SYSCALL_FIRST, HC_STAT_SYSCALL_NEXT,
		    /* the window's primitive alone, inside the same calls */
		    HC_STAT_MAP1, HC_STAT_MAP64, HC_STAT_UNMAP64,
		    /* and the rest, call by call: the monitor's own share */
		    HC_STAT_OWN1, HC_STAT_OWN64, HC_STAT_OWN_RELEASE64, HC_STAT_KINDS };

#define HC_STAT_SAMPLES 8192

struct hc_stats {
	uint32_t n[HC_STAT_KINDS];
	uint32_t ns[HC_STAT_KINDS][HC_STAT_SAMPLES];
};

/* Records one handled call of `call` with `count` rooms taking `ns`, of
 * which `window_ns` in the room window's primitive (UFFDIO_CONTINUE or
 * MADV_DONTNEED): what is left is the monitor's own. */
void hc_stats_record(struct hc_stats *s, uint32_t call, uint32_t count, uint64_t ns,
		     uint64_t window_ns);
/* The price of the host, not of our code: a trivial syscall made first
 * after a KVM exit, and the one right after it. Called after some NULL calls
 * (the claim path's mprotect pays the first price too). */
void hc_stats_probe_syscalls(struct hc_stats *s);
/* Prints the medians of all vCPUs' samples to `out`, one BENCH line per kind seen. */
void hc_stats_print(struct hc_stats *const *per_cpu, unsigned ncpus, int fd);

#endif
