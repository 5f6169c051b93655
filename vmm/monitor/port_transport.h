/* The port transport of the hypercall (labyrinth_dispatch.h): a guest of
 * this monitor names a block in its RAM with one `out` to LAB_HC_PORT; the
 * block's header is copied out once, the dispatcher does the call, and
 * claimed rooms become reachable in the guest's room window (doors.h).
 * Nothing here calls KVM, so the fuzzer drives it directly. */
#ifndef VMM_PORT_TRANSPORT_H
#define VMM_PORT_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "labyrinth_dispatch.h"
#include "doors.h"

struct vcpu;

/* One vCPU: the dispatcher's caller, and what the statistics want. */
struct port_cpu {
	struct lab_caller caller;
	uint32_t last_call, last_count;	/* for the handling-time statistics */
	int64_t last_result;		/* the last call's (also in its block) */
	bool called;			/* set by each call; the statistics clear it */
};

/* One guest: its RAM, its doors, its vCPUs, and the dispatcher's view. */
struct port_guest {
	uint8_t *ram;
	uint64_t ram_size;
	struct doors *doors;
	struct lab_guest lab_guest;
	struct port_cpu *cpus;		/* by vCPU id */
	unsigned ncpus;
	/* A call was the guest's panic: whoever runs the VM ends it (NULL:
	 * the caller's panic_message says it, nothing more happens). */
	void (*panicked)(struct vcpu *cpu, const char *message);
	uint32_t pressure_vector;	/* told in INFO; 0 until the monitor sends one */
	bool pressure_told;		/* the guest asked INFO: it may get the vector */
	bool pressure_line;		/* it asked INFO for the line instead */
};

/* 0, or -1 when the held bitmap or the vCPUs cannot be allocated. */
int port_guest_init(struct port_guest *g, uint8_t *ram, uint64_t ram_size,
		    struct doors *doors, struct labyrinth *lab, unsigned ncpus);
/* After the callers were flushed: frees what init allocated. */
void port_guest_fini(struct port_guest *g);
/*
 * The port (a pio_fn, with @opaque the port_guest): a read is the magic
 * that says the port is there; a write of a block's guest-physical
 * address runs that block's call for vCPU @cpu, whose result lands in the
 * block (if the block is valid) and in its port_cpu's last_result.
 */
void port_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data, unsigned size,
	     void *opaque);

#endif
