/*
 * two_transports.h - the one hypercall dispatcher behind both of its
 * transports, without KVM (dependency `two_transports`; the fuzzer
 * compiles two_transports.c in):
 *   - the monitor's port: guest RAM a buffer, the room window the real
 *     userfaultfd-gated mapping of a private labyrinth, two vCPUs of one
 *     guest;
 *   - the ivshmem mailbox: a peer lent an extent of a second private
 *     labyrinth, its BAR at 4 GiB.
 * tests/dispatch/test_transports.c asks both the same; tests/fuzz asks
 * both anything.
 */
#ifndef TWO_TRANSPORTS_H
#define TWO_TRANSPORTS_H

#include "port_transport.h"
#include "server.h"
#include "vm.h"

#define TWO_ROOMS	2048u		/* in each labyrinth */
#define TWO_RAM_SIZE	(1u << 20)	/* the port's guest RAM */

struct two_transports {
	uint8_t *ram;
	struct labyrinth *port_lab;
	struct doors doors;
	struct port_guest guest;	/* two vCPUs */
	struct labyrinth *mail_lab;
	struct serve_peer *peer;
};

/* Both sides made; 0, or -1 if a part of them could not be. */
int two_transports_init(struct two_transports *t);
/* The same with @mail_rooms in the mailbox's labyrinth: its extent is a
 * quarter of them (lab_extent_default), 2 districts for 4096 rooms. */
int two_transports_init_lent(struct two_transports *t, uint32_t mail_rooms);

/* A guest's `out` of @block to the port from vCPU @vcpu; the call's result. */
static inline int64_t port_out(struct port_guest *g, unsigned vcpu, uint32_t block)
{
	struct vcpu cpu = {.id = vcpu};

	port_io(&cpu, LAB_HC_PORT, true, (uint8_t *)&block, sizeof(block), g);
	return g->cpus[vcpu].last_result;
}

/* The room list of the peer's slot 0 (the mailbox's list). */
uint64_t *two_transports_mail_rooms(const struct two_transports *t);

#endif
