/* SPDX-License-Identifier: MIT */
/*
 * borrower.h - who a lease is, to an operator.  A monitor's lease is held
 * by the monitor itself; a QEMU guest's lease is held by `labyrinth serve`
 * for it, so its holder's pid names the server, the same for every QEMU
 * guest.  The extent table names the guest instead: the QEMU pid (from the
 * socket) and the libvirt domain of the extents lent to the lease.
 *
 * The one rule for the mailbox: a QEMU guest's rooms include the mailbox
 * rooms of its devices (LAB_IVSHMEM_MAILBOX_ROOMS in each extent lent to
 * it, claimed for its lease), in every view; its max and min bound the
 * rooms it claims, which are those less the mailbox rooms.
 */
#ifndef VMM_COMMAND_BORROWER_H
#define VMM_COMMAND_BORROWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labyrinth_extent.h"
#include "labyrinth_host.h"

struct borrower {
	uint32_t extents;	/* lent to it (or returning from it) */
	uint32_t mailbox;	/* of its rooms, those its devices' mailboxes take */
	int32_t qemu_pid;	/* 0: not a QEMU guest, or not known */
	char domain[LAB_EXTENT_DOMAIN_MAX];	/* "" if none */
	/* A label for the guest's life: the QEMU pid, else the pid its
	 * holder saw itself as (whatever PID namespace it lives in). */
	uint64_t life;
};

/* Every lease's, indexed by guest, in one pass over the extent table;
 * or, for a caller that reads the table anyway: init, then each extent. */
void borrowers_get(const struct labyrinth *lab, struct borrower b[LAB_MAX_GUESTS]);
void borrowers_init(const struct labyrinth *lab, struct borrower b[LAB_MAX_GUESTS]);
void borrowers_add(struct borrower b[LAB_MAX_GUESTS], const struct lab_extent_info *e);
/* Who lease @l is, in a few words for a picture: "QEMU pid P, domain D",
 * "pid P", "pid not visible here", with "dead (not reaped)" for a dead
 * lease.  Returns @buf. */
const char *borrower_who(char *buf, size_t len, const struct lab_lease_info *l,
			 const struct borrower *b);
/* Whether extent @e is lent (or returning) rather than the monitors'. */
bool borrower_extent_lent(const struct lab_extent_info *e);
/* The domain as a JSON string, or null; only plain characters (the name
 * is what the peer wrote on QEMU's command line). */
void borrower_domain_json(const char *domain);

#endif /* VMM_COMMAND_BORROWER_H */
