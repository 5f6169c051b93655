/*
 * The guest's side of the Labyrinth hypercall (include/labyrinth_abi.h).
 * Each CPU has its own struct lab_hc block; a call fills it and writes its
 * guest-physical address to LAB_HC_PORT with one 32-bit `out`, with
 * interrupts off, so an interrupt handler on the same CPU that also calls
 * cannot overwrite a block the interrupted code is still filling.
 * Every wrapper returns the call's result: >= 0 success, < 0 LAB_HC_E*.
 * Without a monitor on the port (QEMU: it reads all ones) the calls go to
 * the ivshmem mailbox (ivshmem.c) when lab_connect found the labyrinth's
 * ivshmem device, with the same results; otherwise every call returns
 * LAB_HC_ENOSYS and nothing is written to the port.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "labyrinth_abi.h"
#include "layout.h"
#include "types.h"

/* What a block's result holds when the monitor never wrote it back. */
#define HC_NO_RESULT ((int64_t)0x7eadbeef7eadbeefll)

/* Reads the port once and remembers: true when a monitor answers. */
bool hc_probe(void);
/* A labyrinth answers, on the port or over ivshmem. */
bool hc_present(void);

/* Rooms the guest's caches keep, told to the monitor with every call (for
 * operators); set by the page allocator. */
extern u32 (*hc_cache_probe)(void);

/* Called (in interrupt context, interrupts off) when the monitor says the
 * labyrinth runs low; the page allocator gives back its magazine. */
extern void (*hc_pressure_hook)(void);
/* Pressure interrupts taken, whether or not the hook had anything to give. */
extern u64 hc_pressure_interrupts;
/* Calls each CPU made (exits, or mailbox round trips): what a path costs. */
extern u64 hc_calls[MAX_CPUS];

int64_t hc_null(void);
int64_t hc_info(struct lab_hc_info *info);
/* Up to count rooms (1..512); their addresses go to gpas[]. Returns rooms granted. */
int64_t hc_claim(u32 flags, u32 count, u64 *gpas);
int64_t hc_release(u32 count, const u64 *gpas);
/* Up to count whole districts (1..LAB_HC_DISTRICT_BATCH_MAX); their
 * addresses go to gpas[]. Returns districts granted. */
int64_t hc_claim_district(u32 flags, u32 count, u64 *gpas);
int64_t hc_release_district(u32 count, const u64 *gpas);
/* Ends the VM through the monitor (status 75); falls back to panic(). */
void __noreturn hc_panic(const char *message);

/* For tests of bad requests: sends @hc as it is (its result preset to
 * HC_NO_RESULT) and returns what the monitor left in it. */
int64_t hc_call(struct lab_hc *hc);
/* Sends an arbitrary block address, for the "block outside RAM" case. */
void hc_send_raw(u32 block_gpa);

/*
 * Probe, INFO and the supervisor-only mapping of the room window: what
 * every user of rooms does first, on the boot CPU before smp_init (APs
 * then start on page tables that already map the window). Without a
 * monitor, looks for the ivshmem device, waiting up to `ivshmem.wait=S`
 * seconds (command line, default 0) for it to be hot-plugged. Returns 0,
 * or LAB_HC_ENOSYS without a labyrinth, or another LAB_HC_E* on failure.
 */
int lab_connect(void);
/* ivshmem only: acknowledges the ACPI eject of the device when it comes
 * (at most @wait_us); no call may be made afterwards. */
bool lab_eject_wait(u64 wait_us);
bool lab_over_ivshmem(void);
extern struct lab_hc_info lab_info;	/* INFO as lab_connect saw it */

#endif
