/* The Labyrinth hypercall ABI, compiled by both the guest and the monitor.
 * Nothing else needs to be read to know the contract.
 *
 * A call is one 32-bit `out` to LAB_HC_PORT whose value is the
 * guest-physical address of a struct lab_hc (8-byte aligned, below 4 GiB,
 * inside guest RAM; one per vCPU, since calls of several vCPUs run at once).
 * The monitor reads the block, does the call, writes `result` (and the
 * outputs) back, and the guest resumes after the `out`. Port I/O is used
 * because `vmcall` does not reach a userspace monitor (and does not return
 * at all on nested "PVM" KVM).
 *
 * Rooms live in the guest's room window: guest-physical addresses
 * [window_base, window_base + window_size), room i at window_base + i * 4096.
 * Only rooms the guest has claimed are backed there; a guest touching any
 * other window address is stopped by the monitor (exit status 74), which
 * reports guest, vCPU and address on stderr.
 *
 * How a guest finds the port: the monitor describes it in ACPI, as the
 * device \_SB.LABY of the DSDT, _HID LAB_HC_ACPI_HID, whose _CRS names in
 * this order:
 *   - an I/O range: LAB_HC_PORT, LAB_HC_PORT_SIZE ports;
 *   - a 64-bit memory range, cacheable: the room window (window_base,
 *     window_size, as INFO tells them);
 *   - an interrupt, edge-triggered, active high: the pressure line, raised
 *     when the labyrinth runs low, for a guest that said in INFO it hears
 *     pressure there (LAB_HC_INFO_PRESSURE_LINE); an OS that cannot take a
 *     bare vector (Linux) asks for it so.
 * A kernel that may run on other machines touches the port only once it
 * has found this device: on another machine the port may be anything, and
 * on QEMU there is none (there the labyrinth comes as ivshmem,
 * labyrinth_ivshmem.h). Our minimal kernel, which runs on this monitor or
 * QEMU alone, reads the magic instead. */
#ifndef LABYRINTH_ABI_H
#define LABYRINTH_ABI_H

#include <stdint.h>

#define LAB_HC_ABI_VERSION 1
#define LAB_HC_PORT 0x0500
#define LAB_HC_PORT_MAGIC 0x3142414cu	/* "LAB1": a 32-bit `in` from the port */
#define LAB_HC_PORT_SIZE 4
#define LAB_HC_ACPI_HID "LABY0001"	/* the ACPI device that describes the port */
/* A room: one 4 KiB page, the unit both sides count in (the window, the
 * ivshmem mailbox and the labyrinth's pool alike). */
#define LAB_ROOM_SHIFT 12
#define LAB_ROOM_SIZE (1u << LAB_ROOM_SHIFT)
#define LAB_HC_BATCH_MAX 512u		/* rooms per CLAIM or RELEASE (and per lab_claim()) */

enum lab_hc_call {
	LAB_HC_NULL = 0,	/* does nothing; measures the bare exit */
	LAB_HC_INFO = 1,	/* fills u.info */
	LAB_HC_CLAIM = 2,	/* count rooms; their addresses to rooms_gpa[] */
	LAB_HC_RELEASE = 3,	/* count room addresses from rooms_gpa[] */
	LAB_HC_PANIC = 4,	/* guest gives up: u.panic.message; VM ends, status 75 */
	LAB_HC_CLAIM_DISTRICT = 5,	/* count whole districts; their addresses to rooms_gpa[] */
	LAB_HC_RELEASE_DISTRICT = 6,	/* count district addresses from rooms_gpa[] */
	LAB_HC_NR
};

/*
 * Districts: 512 rooms side by side (2 MiB), claimed whole and released
 * whole; the guest can map one as a single large page.  A district's
 * address is the address of its first room, whose offset in the room
 * window is a multiple of LAB_HC_DISTRICT_SIZE (the port's window base is
 * 2 MiB aligned; an ivshmem BAR is aligned to its size).
 * Every room of a claimed district is the guest's and zero; none of them
 * may be released alone (RELEASE gets LAB_HC_EBUSY), so a district is
 * never half the guest's.
 *
 * Calls of their own rather than a flag on CLAIM: with a flag, `count`
 * and each entry of rooms_gpa[] would mean rooms or districts by one bit,
 * and a RELEASE of an address could free one room or 512; each call's
 * fields mean one thing, and a monitor that does not know them answers
 * LAB_HC_ENOSYS instead of misreading them.
 *
 * CLAIM_DISTRICT: flags as CLAIM's (GFP, ALL_OR_NOTHING, the corridor);
 * count 1..LAB_HC_DISTRICT_BATCH_MAX; result the districts granted
 * (fewer than asked when fewer are wholly free; LAB_HC_ENOMEM none,
 * LAB_HC_EDQUOT when the guest's max leaves it less than a district).
 * RELEASE_DISTRICT: count 1..LAB_HC_DISTRICT_BATCH_MAX addresses;
 * LAB_HC_ERANGE outside the window, LAB_HC_EINVAL not a district's first
 * room or a district not claimed whole (rooms claimed one by one are
 * released one by one), LAB_HC_EPERM another guest's, LAB_HC_EALREADY not
 * the guest's (or twice in the list).  flags must be 0.
 */
#define LAB_HC_DISTRICT_ROOMS 512u
#define LAB_HC_DISTRICT_SIZE (LAB_HC_DISTRICT_ROOMS * LAB_ROOM_SIZE)
#define LAB_HC_DISTRICT_BATCH_MAX 8u	/* districts per CLAIM_DISTRICT or RELEASE_DISTRICT */

/* CLAIM flags, GFP-like: the core's own (labyrinth.h) have the same bits,
 * so the monitor passes them through, as it does the results below. */
#define LAB_HC_GFP_NORMAL 0x0u		/* may not dip into the reserve */
#define LAB_HC_GFP_ATOMIC 0x1u		/* may use the reserve below the min watermark */
#define LAB_HC_ALL_OR_NOTHING 0x2u	/* every room asked for, or none */
#define LAB_HC_THISCORRIDOR 0x4u	/* no fallback from the preferred corridor */
#define LAB_HC_CORRIDOR_SHIFT 8		/* bits 8..15: preferred corridor */
#define LAB_HC_CORRIDOR(c) ((uint32_t)(c) << LAB_HC_CORRIDOR_SHIFT)
#define LAB_HC_FLAGS_VALID 0xff07u

/* INFO flags. */
#define LAB_HC_INFO_PRESSURE_LINE 0x1u	/* pressure on the described line, never
					 * as a vector (pressure_vector reads 0) */

/* Results: >= 0 success (CLAIM: rooms granted, possibly fewer than asked,
 * as Xen's populate_physmap), < 0 one of these, and nothing changed. */
#define LAB_HC_OK 0
#define LAB_HC_EPERM (-1)	/* RELEASE: the room is another owner's */
#define LAB_HC_E2BIG (-7)	/* count above LAB_HC_BATCH_MAX (districts: LAB_HC_DISTRICT_BATCH_MAX) */
#define LAB_HC_ENOMEM (-12)	/* CLAIM: no room at all (or not all, with ALL_OR_NOTHING) */
#define LAB_HC_EFAULT (-14)	/* block or rooms_gpa[] not inside guest RAM */
#define LAB_HC_EBUSY (-16)	/* RELEASE: the room is in a district claimed whole
				 * (RELEASE_DISTRICT releases it) */
#define LAB_HC_EINVAL (-22)	/* count 0, bad flags or corridor, address not room-aligned */
#define LAB_HC_ERANGE (-34)	/* RELEASE: address outside the room window */
#define LAB_HC_ENOSYS (-38)	/* unknown call */
#define LAB_HC_EALREADY (-114)	/* RELEASE: room not claimed (released twice) */
#define LAB_HC_EDQUOT (-122)	/* CLAIM: the guest holds its max already */

struct lab_hc_info {
	uint32_t abi_version;
	uint32_t room_size;
	uint64_t window_base;
	uint64_t window_size;
	uint64_t rooms_total;
	uint64_t rooms_free;
	uint64_t rooms_reserved;
	uint32_t guest_id;
	uint32_t corridors;
	uint32_t pressure_vector;	/* interrupt raised when the labyrinth runs low:
					 * give back cached rooms; 0 if none comes */
	uint32_t pad;
};

_Static_assert(sizeof(struct lab_hc_info) <= 96, "INFO fits the block's union");

/* The vector INFO names on both transports: the monitor's MSI to every
 * vCPU, and MSI-X entry 1 of the ivshmem device, which the guest points
 * at it. */
#define LAB_HC_PRESSURE_VECTOR 0x41

struct lab_hc {
	uint32_t call;		/* enum lab_hc_call */
	uint32_t flags;		/* CLAIM: LAB_HC_GFP_* | LAB_HC_CORRIDOR(c) */
	int64_t result;		/* out */
	uint32_t count;		/* CLAIM, RELEASE: rooms; the DISTRICT calls: districts */
	uint32_t cached;	/* CLAIM, RELEASE: rooms the guest's own caches keep
				 * now (its word, for operators; never trusted) */
	uint64_t rooms_gpa;	/* CLAIM, RELEASE (and the DISTRICT calls):
				 * guest-physical uint64_t[count] */
	union {
		struct lab_hc_info info;
		char panic[96];	/* PANIC: NUL-terminated message */
	} u;
};

/* The calls whose rooms_gpa[] is a list of count addresses, and of those
 * the ones the monitor writes (the claims); the others it only reads. */
static inline int lab_hc_has_list(uint32_t call)
{
	return call == LAB_HC_CLAIM || call == LAB_HC_RELEASE ||
	       call == LAB_HC_CLAIM_DISTRICT || call == LAB_HC_RELEASE_DISTRICT;
}

static inline int lab_hc_lists_out(uint32_t call)
{
	return call == LAB_HC_CLAIM || call == LAB_HC_CLAIM_DISTRICT;
}

/*
 * The trap itself, for a guest's kernel: one 32-bit `out` of the block's
 * guest-physical address (below 4 GiB) to the port, LAB_HC_PORT or the one
 * ACPI describes. "memory": the monitor reads and writes the block, and
 * the rooms list, behind the compiler's back. Interrupts off around the
 * block's use is the caller's (a handler on the same CPU may call too).
 */
#if defined(__x86_64__)
static inline void lab_hc_trap(uint16_t port, uint32_t block_gpa)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(block_gpa), "Nd"(port) : "memory");
}
#endif

#endif
