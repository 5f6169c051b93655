/* SPDX-License-Identifier: MIT */
/*
 * reuse.h - the rooms a cursor released last, for its next claims
 * (reuse.c), above the scrub.  Prefix lab_reuse_.
 */
#ifndef LAB_REUSE_H
#define LAB_REUSE_H

#include "handle.h"

void lab_reuse_put(struct lab_cur *cur, const uint32_t *rooms, unsigned int n);
/* Up to @n rooms of @corridor, newest first, zeroed, the cursor's. */
unsigned int lab_reuse_take(struct lab_cur *cur, uint32_t corridor,
			    unsigned int n, uint32_t *rooms);
/* Give every kept room up: dirty for every scrubber. */
void lab_reuse_flush(struct lab_cur *cur);

#endif /* LAB_REUSE_H */
