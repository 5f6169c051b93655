/* The hypercall dispatcher: validates a guest's request block, runs the
 * call against the labyrinth and the guest's room window, writes the
 * result back. It knows nothing of KVM, so the fuzzer drives it directly. */
#ifndef VMM_HYPERCALL_H
#define VMM_HYPERCALL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "labyrinth.h"
#include "labyrinth_abi.h"
#include "window.h"

/* One guest: what its hypercalls may touch. */
struct hc_guest {
	uint8_t *ram;
	uint64_t ram_size;
	struct window *window;
	struct labyrinth *lab;
	uint32_t corridors;		/* of the labyrinth, fixed at its creation */
	/* Rooms are owned per guest, any of its vCPUs may release them; the
	 * labyrinth wants one releaser per owner at a time, so releases of one
	 * guest are serialised (claims are not: they touch only free rooms). */
	pthread_mutex_t release_lock;
};

/* One caller (vCPU): its cursor into the labyrinth and its scratch space. */
struct hc_cpu {
	struct hc_guest *guest;
	uint32_t vcpu;
	struct lab_cursor cursor;
	uint32_t rooms[LAB_HC_BATCH_MAX];
	uint64_t gpas[LAB_HC_BATCH_MAX];
	uint32_t last_call, last_count;	/* for the handling-time statistics */
	bool panicked;			/* the guest called PANIC */
	char panic_message[sizeof(((struct lab_hc *)0)->u.panic)];
};

void hc_cpu_init(struct hc_cpu *cpu, struct hc_guest *guest, uint32_t vcpu);
/* Runs the call whose block is at guest-physical `block`; returns its result
 * (also written to the block, if the block itself is valid). */
int64_t hc_dispatch(struct hc_cpu *cpu, uint64_t block);

#endif
