/*
 * The Labyrinth over QEMU's ivshmem-doorbell devices (1af4:1110), served by
 * `labyrinth serve` (include/labyrinth_ivshmem.h). The hypercall client
 * (hypercall.c) uses them when the port-I/O probe finds no monitor.
 *
 * Each device is one extent of the labyrinth lent to this guest; a guest
 * may have several (up to IVSHMEM_DEVICES): more devices, more memory.
 * Setup (ivshmem_connect, boot CPU, before smp_init): wait for the devices
 * to be hot-plugged, saying what it waits for; place each one's BARs
 * (registers and MSI-X table below 4 GiB, uncached; BAR2, the extent,
 * above 4 GiB, one after the other, mapped through window_install like a
 * room window); enable memory and bus mastering; point MSI-X vector 0 (and
 * 1, the pressure interrupt, when QEMU gave two) at this CPU; tell the
 * server where BAR2 sits. A device the server refused (no free extent)
 * says so and is left alone.
 *
 * A call takes slot (cpu % slots) of a device under a spinlock, rings the
 * doorbell and spins on the slot's completion word for at most a second:
 * interrupt handlers call too, and must not sleep. CLAIM (and
 * CLAIM_DISTRICT) asks this CPU's device first, then the others; RELEASE
 * (and RELEASE_DISTRICT) sends each address back through the device it
 * came from; INFO adds up the devices' free rooms.
 */
#ifndef GUEST_IVSHMEM_H
#define GUEST_IVSHMEM_H

#include "labyrinth_ivshmem.h"
#include "types.h"

#define IVSHMEM_MMIO_BASE 0xc0000000ull
#define IVSHMEM_BAR2_BASE 0x100000000ull
#define IVSHMEM_BAR2_END 0x180000000ul	/* QEMU pc's 64-bit PCI hole: 2 GiB */
#define IVSHMEM_CALL_US 1000000
#define IVSHMEM_DEVICES 8

/* Waits up to @wait_us for @want devices (0: one), then takes every one
 * present. 0 once at least one works; LAB_HC_ENOSYS if none did. */
int ivshmem_connect(u32 want, u64 wait_us);
bool ivshmem_present(void);
/* Sends @hc over the mailbox. CLAIM writes the granted rooms to @rooms,
 * RELEASE reads them from it; INFO fills hc->u.info. Returns the result
 * (LAB_HC_ENOSYS if the server did not answer in time: the transport is
 * then given up). */
int64_t ivshmem_call(struct lab_hc *hc, u64 *rooms);
/* Waits up to @wait_us for QEMU's ACPI eject request of every device and
 * acknowledges each (ports 0xae04 / 0xae08 of the `pc` machine); true if
 * all were ejected. */
bool ivshmem_eject(u64 wait_us);
/* Device @j: its peer id (0 if none), BAR2 and where its extent is. */
u32 ivshmem_device_info(u32 j, u64 *base, u64 *size, u32 *first_room, u32 *mailbox_rooms);
extern u32 ivshmem_slot, ivshmem_peer_id, ivshmem_devices;

#endif
