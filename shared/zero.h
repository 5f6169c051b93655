/* SPDX-License-Identifier: MIT */
/*
 * zero.h - zeroing one room (4 KiB, 4 KiB aligned), the scrub's one
 * primitive (zero.c says which way and why).  The other ways stay so the
 * benchmark can keep judging the choice on the machine it runs on.
 * Prefix lab_zero_.
 */
#ifndef LAB_ZERO_H
#define LAB_ZERO_H

#include "handle.h"

/* Room @room of @lab's pool, the way zero.c chose (nothing without a pool). */
void lab_zero_room(struct labyrinth *lab, uint32_t room);

void lab_zero_stores(void *room);	/* 8-byte stores, what a compiler writes */
void lab_zero_stosb(void *room);	/* rep stosb: the string engine */
void lab_zero_nontemporal(void *room);	/* movnti: past the caches */

#endif /* LAB_ZERO_H */
