/* SPDX-License-Identifier: MIT */
/* audit_extent.c: `labyrinth check` of lent extents, for audit.c. */
#ifndef VMM_AUDIT_EXTENT_H
#define VMM_AUDIT_EXTENT_H

#include "labyrinth_audit.h"
#include "labyrinth_extent.h"

typedef void (*audit_report_fn)(struct lab_audit *a, enum lab_violation_kind kind,
				uint32_t room, uint32_t guest, const char *fmt, ...);

void audit_extents(const struct labyrinth *lab, struct lab_audit *a, audit_report_fn report);

#endif
