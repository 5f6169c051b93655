/* SPDX-License-Identifier: MIT */
/*
 * lab_limits.h - what the core's other layers ask of the fair sharing
 * (limits.c; its API is labyrinth.h's).  Above the hall.  Prefix
 * lab_limits_.  Not limits.h: with shared/ on the include path that name
 * would hide libc's <limits.h> from the host library.
 */
#ifndef LAB_LIMITS_H
#define LAB_LIMITS_H

#include "handle.h"

/* After a lend by @guest (its rooms already out of the free count): are
 * the monitors still left every other unmet guarantee? */
bool lab_limits_lend_fits(struct lab_hall *h, uint32_t guest);

#endif /* LAB_LIMITS_H */
