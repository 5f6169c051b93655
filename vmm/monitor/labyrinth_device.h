/* The labyrinth as one device of the VM: the hypercall port and its
 * transport (port_transport.h), the doors of the room window (doors.h), the
 * pressure signal (pressure_signal.h) and the call statistics
 * (call_stats.h), around the lease this guest holds. The vCPU loop knows
 * none of it: the device registers its port (port_io, on the port bus of
 * vm.h) and its hooks (vm_hooks: faults in the window, the time of its
 * calls). */
#ifndef VMM_LABYRINTH_DEVICE_H
#define VMM_LABYRINTH_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "labyrinth_host.h"

struct vm;

/* Guest-physical base of the room window: above all RAM and the 4 GiB hole. */
#define LABDEV_WINDOW_GPA (4ull << 30)
#define LABDEV_WINDOW_SLOT 1

/* Attaches to labyrinth `name`, or makes a private one of `rooms` rooms
 * when name is NULL, with this guest's limits (LAB_UNLIMITED max and 0
 * min: none), and describes the port in ACPI. Before acpi_build and
 * vm_create. Returns 0 or an exit status. */
int labdev_attach(struct vm *vm, const char *name, uint32_t rooms,
		  const struct lab_limits *limits);
/* After vm_create: the window memslot, the port, each vCPU's caller, the
 * pressure signal; with `stats`, the time of each call (--hc-stats). */
int labdev_init(struct vm *vm, bool stats);
/* The statistics' BENCH lines, if they were asked for. */
void labdev_print_stats(const struct vm *vm);
/* After the vCPUs stopped: rooms still held are unmapped, scrubbed, freed. */
void labdev_fini(struct vm *vm);

#endif
