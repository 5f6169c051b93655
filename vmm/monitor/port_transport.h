/* The port transport of the hypercall (labyrinth_dispatch.h): a guest of
 * this monitor names a block in its RAM with one `out` to LAB_HC_PORT; the
 * block's header is copied out once, the dispatcher does the call, and
 * claimed rooms become reachable in the guest's room window (doors.h).
 * Nothing here knows KVM, so the fuzzer drives it directly. */
#ifndef VMM_PORT_TRANSPORT_H
#define VMM_PORT_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "labyrinth_dispatch.h"
#include "doors.h"

/* One guest: its RAM, its doors, and the dispatcher's view of it. */
struct port_guest {
	uint8_t *ram;
	uint64_t ram_size;
	struct doors *doors;
	struct lab_guest lab_guest;
	uint32_t pressure_vector;	/* told in INFO; 0 until the monitor sends one */
	bool pressure_told;		/* the guest asked INFO: it may get the vector */
	bool pressure_line;		/* it asked INFO for the line instead */
};

/* One vCPU: the dispatcher's caller, and what the statistics want. */
struct port_cpu {
	struct port_guest *guest;
	uint32_t vcpu;
	struct lab_caller caller;
	uint32_t last_call, last_count;	/* for the handling-time statistics */
};

/* 0, or -1 when the held bitmap cannot be allocated. */
int port_guest_init(struct port_guest *g, uint8_t *ram, uint64_t ram_size,
		  struct doors *doors, struct labyrinth *lab);
void port_guest_fini(struct port_guest *g);
void port_cpu_init(struct port_cpu *cpu, struct port_guest *guest, uint32_t vcpu);
/* Runs the call whose block is at guest-physical `block`; returns its result
 * (also written to the block, if the block itself is valid). */
int64_t port_call(struct port_cpu *cpu, uint64_t block);

#endif
