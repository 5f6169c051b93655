// SPDX-License-Identifier: MIT
/*
 * borrower.c - a lease's QEMU guest, as the extent table records it
 * (borrower.h says why the views ask it).
 */
#include <stdio.h>
#include <string.h>

#include "borrower.h"
#include "labyrinth_ivshmem.h"

bool borrower_extent_lent(const struct lab_extent_info *e)
{
	return e->state != LAB_EXTENT_POOL;
}

void borrowers_init(const struct labyrinth *lab, struct borrower b[LAB_MAX_GUESTS])
{
	for (uint32_t g = 0; g < LAB_MAX_GUESTS; g++)
		b[g] = (struct borrower){ .life = lab_lease_word(lab, g) };
}

void borrowers_add(struct borrower b[LAB_MAX_GUESTS], const struct lab_extent_info *e)
{
	struct borrower *one;

	if (!borrower_extent_lent(e) || e->guest >= LAB_MAX_GUESTS)
		return;
	one = &b[e->guest];
	one->extents++;
	one->mailbox += LAB_IVSHMEM_MAILBOX_ROOMS;
	if (e->pid > 0 && !one->qemu_pid) {
		one->qemu_pid = e->pid;
		one->life = (uint64_t)e->pid;
		memcpy(one->domain, e->domain, sizeof(one->domain));
		one->domain[sizeof(one->domain) - 1] = 0;
	}
}

void borrowers_get(const struct labyrinth *lab, struct borrower b[LAB_MAX_GUESTS])
{
	struct lab_extent_info e;

	borrowers_init(lab, b);
	for (uint32_t k = 0; k < lab_extents(lab); k++) {
		lab_extent_get(lab, k, &e);
		borrowers_add(b, &e);
	}
}

const char *borrower_who(char *buf, size_t len, const struct lab_lease_info *l,
			 const struct borrower *b)
{
	if (b->qemu_pid > 0)
		snprintf(buf, len, "QEMU pid %d%s%s%s", b->qemu_pid, b->domain[0] ? ", domain " : "",
			 b->domain, l->alive ? "" : ", dead (not reaped)");
	else if (!l->alive)
		snprintf(buf, len, "dead (not reaped)");
	else if (l->pid > 0)
		snprintf(buf, len, "pid %d", l->pid);
	else
		snprintf(buf, len, "pid not visible here");
	return buf;
}

void borrower_domain_json(const char *domain)
{
	if (!domain[0]) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *domain; domain++)
		putchar(*domain >= 0x20 && *domain < 0x7f && *domain != '"' &&
			*domain != '\\' ? *domain : '?');
	putchar('"');
}
