/* SPDX-License-Identifier: MIT */
/*
 * labyrinth.h - the labyrinth: a lock-free, process-shared room allocator
 * with exclusive owners.  The freestanding core's contract (shared/, also
 * built into the guest); the host side's (shared memory by name, leases,
 * reap, the scrubber thread: vmm/host/) is labyrinth_host.h.
 *
 * Vocabulary
 *   room      one 4 KiB page; room i of the pool lives at byte i * 4096.
 *   district  512 consecutive rooms (2 MiB); its free map is one 64-byte
 *             cache line of eight 64-bit words.  A district is claimed from
 *             by at most one cursor at a time (its holder).
 *   corridor  a row of districts (a zone); claims fall back from the
 *             preferred corridor to the next ones, cyclically.
 *   owner     (guest, vcpu) of a claimed room; guest = lease index.
 *   lease     a slot in the shared hall held by one attached process
 *             (a lock on the labyrinth's file); its index is the guest id.
 *   cursor    per-caller (per vCPU thread) state: the held district and
 *             its home (where its searches start), so callers do not
 *             contend.  Never share one cursor between threads.
 *   scrub     zeroing a room before it can be claimed again.  A released
 *             room is owned by nobody and claimable by nobody until it is
 *             zeroed: by the next claim of the cursor that released it
 *             (the last LAB_REUSE rooms it released), or, once dirty, by
 *             a background worker (lab_scrub) or a claimer that finds no
 *             clean room left.
 *
 * Typical host use (the VMM; attaching is labyrinth_host.h's):
 *	struct labyrinth *lab;
 *	lab_attach("office", &lab);            or lab_create_private(&geo, &lab)
 *	struct lab_cursor cur;
 *	lab_cursor_init(&cur, lab, vcpu_id);   one per vCPU thread
 *	n = lab_claim(&cur, LAB_GFP_NORMAL, corridor, 64, rooms);
 *	...make rooms[0..n) reachable by the guest (vmm/monitor/gate.c)
 *	err = lab_release(&cur, rooms, n);      checks owner; rooms turn dirty
 *	lab_scrub(&scrub_cur, 64);             a background thread zeroes them
 *	lab_cursor_park(&cur);                  when the vCPU stops
 *	lab_detach(lab);                       frees everything still owned
 */
#ifndef LABYRINTH_H
#define LABYRINTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The room (LAB_ROOM_SIZE) and the batch (LAB_HC_BATCH_MAX) are the
 * contract's: one definition for both sides. */
#include "labyrinth_abi.h"

#define LAB_DISTRICT_ROOMS	512u
#define LAB_MAX_GUESTS		64u		/* leases in one hall */
#define LAB_MAX_VCPUS		65536u		/* vcpu ids 0..65535 */
#define LAB_MAX_CORRIDORS	64u
#define LAB_MAX_ROOMS		(1u << 26)	/* 256 GiB */
#define LAB_DEFAULT_ROOMS	16384u		/* private labyrinth of ./vmm */
#define LAB_NONE		UINT32_MAX
#define LAB_REUSE		64u		/* rooms a cursor keeps to reuse */

/*
 * Claim flags, named after Linux's GFP flags.
 *   LAB_GFP_ATOMIC   never sleeps, may dip into the reserve (the rooms below
 *                    the min watermark).
 *   LAB_GFP_NORMAL   never sleeps either (nothing here does), but leaves the
 *                    reserve alone: grants only while free > reserve.
 *   LAB_ALL_OR_NOTHING  if not every room asked for can be granted, the
 *                    partial grant is undone (unscrubbed: nobody saw it)
 *                    and the claim returns 0.  (Failing hard is the seed
 *                    entry points' business, not the claim's.)
 *   LAB_THISCORRIDOR no fallback to other corridors (like __GFP_THISNODE).
 */
#define LAB_GFP_NORMAL		0u
#define LAB_GFP_ATOMIC		(1u << 0)
#define LAB_ALL_OR_NOTHING	(1u << 1)
#define LAB_THISCORRIDOR	(1u << 2)

#define LAB_PANIC_OOM	"Labyrinth allocpage exclusive failed: out of memory"
#define LAB_PANIC_FREE	"Labyrinth dealloc exclusive failed: bad page"

/*
 * Errors: negative errno values (Linux numbers, spelled out so the
 * freestanding core needs no <errno.h>).  Release errors change nothing.
 */
#define LAB_EPERM	(-1)	/* room owned by someone else */
#define LAB_ENOENT	(-2)	/* no labyrinth of that name */
#define LAB_ESRCH	(-3)	/* lease not alive / unknown guest */
#define LAB_ENOMEM	(-12)	/* no room left for the request */
#define LAB_EBUSY	(-16)	/* every lease slot is taken; a room of a
				   district claimed whole released alone */
#define LAB_EEXIST	(-17)	/* a labyrinth of that name exists */
#define LAB_EINVAL	(-22)	/* bad geometry, bad argument, unaligned page */
#define LAB_ERANGE	(-34)	/* room index or address outside the pool */
#define LAB_EPROTO	(-71)	/* shared memory is not a labyrinth (magic) */
#define LAB_EALREADY	(-114)	/* room is already free (or twice in a batch) */
#define LAB_EDQUOT	(-122)	/* the guest holds its max already */
#define LAB_ENOSPC	(-28)	/* no space: guarantees past the rooms, no memory
				   to back a file, no extent to lend */

struct lab_geometry {
	uint32_t rooms;		/* 1 .. LAB_MAX_ROOMS */
	uint32_t corridors;	/* 1 .. min(LAB_MAX_CORRIDORS, districts) */
	uint32_t reserve;	/* min watermark, < rooms */
};

struct lab_hall;		/* the shared metadata, see shared/hall.h */
/* A handle on one labyrinth in this address space (shared/handle.h). */
struct labyrinth;

/*
 * What a lease's guest did, for people watching (`labyrinth top`,
 * `metrics`): counted per caller and added to the lease's tally in batches
 * (at most LAB_TALLY_BATCH behind), so counting costs the claim path one
 * private increment.  Monotonic while the lease lives; a new lease starts
 * from 0.
 */
#define LAB_TALLY_BATCH	32u
struct lab_tally {
	_Atomic uint64_t claimed;	/* rooms granted */
	_Atomic uint64_t released;	/* rooms released (then scrubbed) */
	_Atomic uint64_t refused;	/* claims that got nothing */
	_Atomic uint64_t limited;	/* claims cut short, or refused, by max */
};
/*
 * Fair sharing between the guests of one labyrinth, as Xen's max_pages and
 * claims, or memory cgroups' memory.max and memory.min:
 *   max  a guest never holds more (a claim past it is cut short, or gets
 *        LAB_EDQUOT when nothing is left under it); LAB_UNLIMITED: none;
 *   min  rooms kept claimable by that guest whatever the others do (their
 *        claims, GFP_ATOMIC ones too, leave the unmet part of every
 *        guarantee alone); 0: none.  The guarantees together may not pass
 *        rooms - reserve.  The reserve stays global: GFP_ATOMIC's own.
 * Checked by the dispatcher with the lease's counters, lock-free.
 */
#define LAB_UNLIMITED	UINT32_MAX
struct lab_limits {
	uint32_t max, min;
	int64_t held;		/* rooms held (claims in flight included) */
	uint32_t cached;	/* what the guest says its caches keep */
	uint32_t asked;		/* what the host asks it to hold, LAB_NO_ASK */
	uint32_t ask_number;	/* changes with every lab_ask_set(), the same
				   size asked again too (mod 32) */
	uint32_t unmet;		/* of what it holds, above asked and in use */
};
/* 0, LAB_EINVAL (min > max, max 0, or a bad guest), LAB_ESRCH (no such lease),
 * LAB_ENOSPC (the guarantees would pass rooms - reserve, or a QEMU
 * guest's min its extent's rooms); on an error nothing changed. */
int lab_limits_set(struct labyrinth *lab, uint32_t guest, uint32_t max,
		   uint32_t min);
void lab_limits_get(const struct labyrinth *lab, uint32_t guest,
		    struct lab_limits *out);
/* Clears lease @guest's limits and counters (its slot is being freed). */
void lab_limits_clear(struct labyrinth *lab, uint32_t guest);
/*
 * For the dispatcher: reserves up to @want rooms under @guest's max, and
 * says in *@floor what the claim (lab_claim_floored) must leave for
 * everyone's guarantees.  lab_limits_return() gives back what the claim
 * did not use.  A count alone could not say whether fewer than @want
 * means the max (LAB_EDQUOT: the guest's own doing) or nothing.
 */
struct lab_grant {
	unsigned int rooms;	/* reserved: 0..want */
	int cut;		/* 0, or LAB_EDQUOT: the max cut the grant */
};
struct lab_floor;
struct lab_grant lab_limits_take(struct labyrinth *lab, uint32_t guest,
				 unsigned int want, struct lab_floor *floor);
void lab_limits_return(struct labyrinth *lab, uint32_t guest, unsigned int n);
void lab_limits_report_cached(struct labyrinth *lab, uint32_t guest, uint32_t cached);
/*
 * The size the host asks a guest to hold (rooms, its mailbox aside), for
 * guests that grow and shrink toward it (elastic RAM): not a limit, a
 * wish the guest's server passes on.  LAB_NO_ASK: none.  Each call is a
 * new ask, also of the size asked before (a guest that gave rooms back
 * under pressure since is asked again).  0, LAB_EINVAL (a bad guest) or
 * LAB_ESRCH (no such lease).
 */
#define LAB_NO_ASK	UINT32_MAX
int lab_ask_set(struct labyrinth *lab, uint32_t guest, uint32_t rooms);
/* What the guest answered (its server passes it on): the rooms above the
 * ask it cannot give back, 0 when it met it. */
void lab_ask_report_unmet(struct labyrinth *lab, uint32_t guest, uint32_t unmet);

/*
 * Pressure, with Linux's three watermarks on the free count: min (the
 * reserve, GFP_ATOMIC's only), low and high (from the geometry: the reserve
 * plus 1/32 and 1/16 of the rooms).  An episode starts when free falls
 * below low and ends when it is back above high; every attached monitor
 * polls (lab_pressure_poll, off the claim path) and turns a new episode
 * into an interrupt in its guests, which give back what their caches keep.
 */
struct lab_watermarks {
	uint32_t min, low, high;
};
void lab_watermarks(const struct labyrinth *lab, struct lab_watermarks *w);
/* The same rule for @rooms with @reserve (an extent lent to a QEMU guest
 * has its own: labyrinth serve watches it for that guest). */
void lab_watermarks_of(uint32_t rooms, uint32_t reserve, struct lab_watermarks *w);
/* The free count the watermarks watch: rooms monitors can claim (a lent
 * extent's are its guest's), as cursors last published it (an estimate). */
int64_t lab_free_watched(const struct labyrinth *lab);
/* Moves the pressure state on from the free count; true when an episode
 * began that *@seen (the caller's last look, 0 at first) had not seen. */
bool lab_pressure_poll(struct labyrinth *lab, uint64_t *seen);
/* Episodes so far, and whether one is on now. */
uint64_t lab_pressure_events(const struct labyrinth *lab, bool *now);
/* Whether an episode is on now (one load: the dispatcher asks every call). */
bool lab_pressure_now(const struct labyrinth *lab);

/* Publish this handle's room window (a monitor's) for auditors: host
 * virtual range, room i at va + i * 4096. */
void lab_publish_window(struct labyrinth *lab, const void *va, uint64_t len);
/* Makes the free-count estimate exact again, from the maps (dirty rooms
 * count free, as a release counted them); only when no cursor can
 * publish on top of it (no lease alive). */
void lab_recount_free(struct labyrinth *lab);
uint32_t lab_districts(const struct labyrinth *lab);
/* First district of corridor @c; lab_corridor_start(lab, corridors) is the
 * end (corridors share the districts evenly). */
uint32_t lab_corridor_start(const struct labyrinth *lab, uint32_t c);
/* Guest of the cursor holding district @d, LAB_NONE if none. */
uint32_t lab_district_holder(const struct labyrinth *lab, uint32_t d);
/* Is @hall (@hall_len bytes, for @rooms rooms) a well-formed hall?  Every
 * field checked against the sizes: 0 or LAB_EPROTO.  The hall is
 * untrusted input until this says so. */
int lab_hall_check(const struct lab_hall *hall, uint64_t hall_len, uint64_t rooms);

/* A copy of lease @guest's tally (zeros for a bad index). */
void lab_tally_read(const struct labyrinth *lab, uint32_t guest,
		    uint64_t *claimed, uint64_t *released, uint64_t *refused);
uint64_t lab_tally_limited(const struct labyrinth *lab, uint32_t guest);
/*
 * Per-caller state; lives in the caller's private memory (a vCPU's, a
 * mailbox's), never shared between threads.  Its fields are the core's
 * (shared/handle.h): here only its size, so callers can hold one.
 */
#define LAB_CURSOR_WORDS	48u
struct lab_cursor {
	uint64_t opaque[LAB_CURSOR_WORDS];
};

/* Census for INFO. */
struct lab_census {
	uint32_t rooms, free, reserved, claimed;
	uint32_t dirty;		/* of the free rooms, those not zeroed yet */
	uint32_t corridors;
	uint32_t corridor_rooms[LAB_MAX_CORRIDORS];
	uint32_t corridor_free[LAB_MAX_CORRIDORS];
	uint32_t guest_rooms[LAB_MAX_GUESTS];	/* rooms owned per lease */
};


/* Bytes of metadata for @geo, 0 if the geometry is invalid. */
size_t lab_hall_size(const struct lab_geometry *geo);
int lab_geometry_check(const struct lab_geometry *geo);
/* Format @mem (lab_hall_size bytes, zeroed, 64-byte aligned). */
int lab_hall_format(void *mem, const struct lab_geometry *geo);
/* Bind a handle to a formatted hall and its pool. */
int lab_bind(struct labyrinth *lab, void *hall, void *pool, uint32_t guest);
uint32_t lab_rooms(const struct labyrinth *lab);
/* The lease this handle holds (the guest of its rooms' owner codes),
 * LAB_NONE without one. */
uint32_t lab_guest_id(const struct labyrinth *lab);
/* Zero inside lab_release (the caller waits) instead of leaving the rooms
 * dirty for a scrubber: for users that run no scrubber, or must never
 * leave a dirty room (an extent QEMU maps), and for comparison. */
void lab_scrub_at_release(struct labyrinth *lab, bool on);

/* Owner code: (guest + 1) << 16 | vcpu; 0 means no owner. */
#define LAB_OWNER_GUEST_MASK	0xffff0000u

static inline uint32_t lab_owner(uint32_t guest, uint32_t vcpu)
{
	return ((guest + 1) << 16) | (vcpu & 0xffff);
}
static inline uint32_t lab_owner_guest(uint32_t owner)
{
	return (owner >> 16) - 1;
}
static inline uint32_t lab_owner_vcpu(uint32_t owner)
{
	return owner & 0xffff;
}

void lab_cursor_init(struct lab_cursor *cur, struct labyrinth *lab,
		     uint32_t vcpu);
/* Give back the held district and publish the count; call when idle. */
void lab_cursor_park(struct lab_cursor *cur);
/* The owner code its claims write: lab_owner(guest, vcpu), 0 without a lease. */
uint32_t lab_cursor_owner(const struct lab_cursor *cur);
/* Its next lab_claim_within() starts at the run's first district. */
void lab_cursor_restart(struct lab_cursor *cur);

/*
 * Claim up to @n (1..LAB_HC_BATCH_MAX) rooms for the cursor's owner, writing
 * their indices to @rooms.  Returns how many were granted (0..n), like
 * Xen's populate_physmap: partial success is not an error.  @corridor is
 * the preferred corridor.  The rooms are taken out of the free count
 * before they are claimed, in one atomic step that keeps the reserve
 * (unless GFP_ATOMIC), so claims at once cannot pass it together.
 */
unsigned int lab_claim(struct lab_cursor *cur, unsigned int flags,
		       uint32_t corridor, unsigned int n, uint32_t *rooms);
/*
 * What a claim must leave in the free count besides the reserve: the
 * other guests' unmet guarantees (@others, never taken), and how many of
 * its rooms are within the claimer's own unmet min (@own: those may go
 * past the reserve).  From lab_limits_take().
 */
struct lab_floor {
	uint32_t others, own;
};
/* lab_claim() that also leaves @floor, in the same atomic step. */
unsigned int lab_claim_floored(struct lab_cursor *cur, unsigned int flags,
			       uint32_t corridor, unsigned int n, uint32_t *rooms,
			       const struct lab_floor *floor);

/*
 * Release @n rooms.  The whole batch is validated first; on any error
 * nothing changes and the first error is returned:
 *   LAB_ERANGE (index outside the pool), LAB_EALREADY (room free or dirty,
 *   or listed twice), LAB_EPERM (room owned by another (guest, vcpu)),
 *   LAB_EBUSY (room of a district claimed whole: lab_release_districts()).
 * On success every room is released: owned by nobody, claimable by
 * nobody until it is zeroed.  The cursor keeps the last LAB_REUSE rooms it
 * released and its next claims take them, zeroing them (shared/reuse.c);
 * the rest are dirty until a scrubber zeroes them (lab_scrub, or a claimer
 * that finds no clean room).  Returns 0.  Without a pool, or with
 * lab_scrub_at_release(), the rooms are zeroed here and free at once.
 */
int lab_release(struct lab_cursor *cur, const uint32_t *rooms,
		unsigned int n);
/*
 * Same, but any vCPU of the cursor's guest may have claimed the rooms (the
 * guest frees a page on another vCPU than the one that got it).  The owner
 * check is then by guest only, so the caller must make sure no room is in
 * two releases at once (the dispatcher's held bitmap does).
 */
int lab_release_guest(struct lab_cursor *cur, const uint32_t *rooms,
		      unsigned int n);
/* Address form; also LAB_EINVAL for an address not on a room boundary. */
int lab_release_page(struct lab_cursor *cur, void *page);
/*
 * Districts claimed whole (shared/whole.c): all LAB_DISTRICT_ROOMS rooms
 * of a district for the cursor's guest, in one claim, all zero; a district
 * is never half one guest's.  Up to @n (1..LAB_DISTRICTS_MAX) districts
 * (their indices to @districts), fewer when fewer are wholly free, none
 * short with LAB_ALL_OR_NOTHING.  The limits are lab_claim_floored()'s:
 * the rooms leave the free count in one atomic step that keeps the reserve
 * (unless GFP_ATOMIC) and @floor (NULL: none).  Only a district nobody
 * holds and whose rooms are free or dirty is taken (clean ones first;
 * the claimer zeroes dirty ones).
 */
#define LAB_DISTRICTS_MAX	8u
unsigned int lab_claim_districts(struct lab_cursor *cur, unsigned int flags, uint32_t corridor,
				 unsigned int n, uint32_t *districts, const struct lab_floor *floor);
/* The same inside districts [first, first + n) lent to the cursor's guest
 * (an extent), no watermark (lab_claim_within()'s rules). */
unsigned int lab_claim_districts_within(struct lab_cursor *cur, uint32_t first, uint32_t n,
					unsigned int want, uint32_t *districts);
/*
 * Release @n districts claimed whole by the cursor's guest (any of its
 * vCPUs: as lab_release_guest(), the caller keeps a district out of two
 * releases at once).  All checked first; on an error nothing changed:
 * LAB_EINVAL (not claimed whole, n out of 1..LAB_DISTRICTS_MAX),
 * LAB_ERANGE (no such district), LAB_EPERM (another guest's),
 * LAB_EALREADY (listed twice).  Their rooms turn dirty as released rooms
 * do.  A room of such a district released alone gets LAB_EBUSY.
 */
int lab_release_districts(struct lab_cursor *cur, const uint32_t *districts, unsigned int n);
/* The guest that claimed district @d whole, LAB_NONE if none did. */
uint32_t lab_district_whole_of(const struct labyrinth *lab, uint32_t d);
/* Is room @i free and claimable (so zeroed): neither owned nor dirty? */
bool lab_room_free(const struct labyrinth *lab, uint32_t room);
/* Is room @i marked claimed (its map bit set) with no owner at all?  No
 * reaper frees such a room: it is lost for good (an auditor's question). */
bool lab_room_orphaned(const struct labyrinth *lab, uint32_t room);
/* Owner of room @i (0 if free or dirty, LAB_NONE if out of range). */
uint32_t lab_room_owner(const struct labyrinth *lab, uint32_t i);

/*
 * Zero up to @max dirty rooms and make them claimable; returns how many.
 * The background worker's step (vmm/host/scrubber.c runs it in a thread).
 * @cur is the worker's own cursor; while it zeroes a room the room is its
 * guest's, so stop the worker before lab_detach() and a killed worker's
 * rooms go back through the reaper.  It takes one room at a time, and
 * leaves the dirty rooms of a district a cursor holds to that cursor
 * (which takes them before clean ones): a parked cursor holds none.
 */
unsigned int lab_scrub(struct lab_cursor *cur, unsigned int max);

/* The seed's entry points: one room for (lab->guest, vcpu 0). */
void *lab_alloc_page_exclusive(struct labyrinth *lab);
void lab_free_page_exclusive(struct labyrinth *lab, void *page);

void lab_census(const struct labyrinth *lab, struct lab_census *c);

/*
 * Scrub and free every room owned by @guest (including those its scrubber
 * was zeroing) and give back its districts.
 * The caller must know the guest is dead and hold the right to reap it
 * (lab_reap on the host arranges both).  Returns rooms recovered.
 */
uint32_t lab_reap_guest(struct labyrinth *lab, uint32_t guest);

/*
 * Lending a run of districts (shared/extent.c), the core's part of an
 * extent lent to a QEMU guest (labyrinth_extent.h is the host's part).
 */

/* Holds districts [first, first + n) for @owner, all or none: 0, or why
 * not, nothing changed: LAB_EINVAL (no owner, or not a run of the hall),
 * LAB_EBUSY (a district is held, or has a room claimed or not yet
 * scrubbed), LAB_ENOSPC (the monitors would be left less than their
 * unmet guarantees).  Their rooms leave the free count (shared/extent.c
 * says why). */
int lab_districts_lend(struct labyrinth *lab, uint32_t first, uint32_t n,
			uint32_t owner);
/* Undoes a lend nobody claimed in yet: those of them @owner holds go back,
 * and every room to the free count. */
void lab_districts_unlend(struct labyrinth *lab, uint32_t first, uint32_t n,
			  uint32_t owner);
/* A returned run's free rooms back to the free count, for the lease of
 * @guest that lent it, and its districts back to the monitors (the rooms
 * its borrower still owns come back when that lease is reaped). */
void lab_districts_count_back(struct labyrinth *lab, uint32_t first, uint32_t n,
			      uint32_t guest);
/* The guest district @d is held for as part of a lent extent, LAB_NONE if
 * it is not (an auditor's question: a pool extent has none). */
uint32_t lab_district_lent_to(const struct labyrinth *lab, uint32_t d);
/* lab_claim() confined to districts [first, first + n) held for the
 * cursor's owner; up to @want rooms, no watermark (the rooms are the
 * borrower's alone).  The cursor is the borrower's from then on: none of
 * its claims or releases count in the free count. */
unsigned int lab_claim_within(struct lab_cursor *cur, uint32_t first, uint32_t n,
			      unsigned int want, uint32_t *rooms);

#endif /* LABYRINTH_H */
