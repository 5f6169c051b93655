/* SPDX-License-Identifier: MIT */
/*
 * slot.h - lease slots of the hall (slot.c), for the host library alone
 * (vmm/host/lease.c decides who may change slot g; these only read and
 * write it).  Private: users see leases through labyrinth_host.h.
 * Prefix lab_slot_.
 */
#ifndef LAB_SLOT_H
#define LAB_SLOT_H

#include "handle.h"

/* A slot's word is 0 when free, else the holder's pid as it saw itself
 * (display only). */
uint64_t lab_slot_word(const struct labyrinth *lab, uint32_t g);
/* A fresh lease in slot g: its tally, limits and window cleared, then the
 * word.  lab_slot_clear() frees the slot the same way. */
void lab_slot_fill(struct labyrinth *lab, uint32_t g, uint64_t word);
void lab_slot_clear(struct labyrinth *lab, uint32_t g);
/* The room window a monitor published for slot g (0, 0 if none):
 * host virtual range, room i at va + i * 4096. */
void lab_slot_window(const struct labyrinth *lab, uint32_t g, uint64_t *va,
		     uint64_t *len);

#endif /* LAB_SLOT_H */
