/* SPDX-License-Identifier: MIT */
/*
 * zero.h - ways to zero one room (4 KiB, 4 KiB aligned).  The scrub uses
 * one of them (zero.c says which and why); the others stay so the
 * benchmark can keep judging the choice on the machine it runs on.
 */
#ifndef LAB_ZERO_H
#define LAB_ZERO_H

void zero_stores(void *room);	/* 8-byte stores, what a compiler writes */
void zero_stosb(void *room);	/* rep stosb: the string engine */
void zero_nontemporal(void *room);	/* movnti: past the caches */

#endif
