/*
 * The Labyrinth over QEMU's ivshmem-doorbell device (1af4:1110), served by
 * `labyrinth serve` (include/labyrinth_ivshmem.h). The hypercall client
 * (hypercall.c) uses it when the port-I/O probe finds no monitor.
 *
 * Setup (ivshmem_connect, boot CPU, before smp_init): find the device,
 * polling config space for a hot-plug up to @wait_us; place its BARs
 * (registers and MSI-X table below 4 GiB, uncached; the shared memory at
 * 4 GiB, mapped through window_install like a room window); enable memory and
 * bus mastering; point MSI-X vector 0 at this CPU; tell the server where
 * BAR2 sits. A call takes slot (cpu % slots) under a spinlock, rings the
 * doorbell and spins on the slot's completion word for at most a second:
 * interrupt handlers call too, and must not sleep. The MSI-X reply
 * interrupt only counts (ivshmem_irqs): with interrupts off during a call
 * it is taken after the answer is already seen.
 */
#ifndef GUEST_IVSHMEM_H
#define GUEST_IVSHMEM_H

#include "labyrinth_ivshmem.h"
#include "types.h"

#define IVSHMEM_MMIO_BASE 0xc0000000ull
#define IVSHMEM_BAR2_BASE 0x100000000ull
#define IVSHMEM_CALL_US 1000000

/* 0 once connected; LAB_HC_ENOSYS if no device appeared, else LAB_HC_E*. */
int ivshmem_connect(u64 wait_us);
bool ivshmem_present(void);
/* Sends @hc over the mailbox. CLAIM writes the granted rooms to @rooms,
 * RELEASE reads them from it; INFO fills hc->u.info. Returns the result
 * (LAB_HC_ENOSYS if the server did not answer in time: the transport is
 * then given up). */
int64_t ivshmem_call(struct lab_hc *hc, u64 *rooms);
/* Waits up to @wait_us for QEMU's ACPI eject request on our slot and
 * acknowledges it (ports 0xae04 / 0xae08 of the `pc` machine). */
bool ivshmem_eject(u64 wait_us);
extern u32 ivshmem_slot, ivshmem_peer_id;

#endif
