/* The labyrinth as a device of the VM: the hypercall port, the room
 * window memslot, and the labyrinth this guest holds a lease in. */
#ifndef VMM_HC_PORT_H
#define VMM_HC_PORT_H

#include <stdint.h>

#include "labyrinth_host.h"

struct vm;

/* Guest-physical base of the room window: above all RAM and the 4 GiB hole. */
#define HC_WINDOW_GPA (4ull << 30)
#define HC_WINDOW_SLOT 1

/* Attaches to labyrinth `name`, or makes a private one of `rooms` rooms
 * when name is NULL, with this guest's limits (LAB_UNLIMITED max and 0
 * min: none), and describes the port in ACPI. Before acpi_build and
 * vm_create. Returns 0 or an exit status. */
int hc_port_attach(struct vm *vm, const char *name, uint32_t rooms,
		   const struct lab_limits *limits);
/* After vm_create: the window memslot, the port, each vCPU's cursor. */
int hc_port_init(struct vm *vm);
/* After the vCPUs stopped: rooms still held are unmapped, scrubbed, freed. */
void hc_port_fini(struct vm *vm);

#endif
