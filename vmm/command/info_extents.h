/* SPDX-License-Identifier: MIT */
/* info_extents.c: the extents' part of `labyrinth info` (both forms). */
#ifndef CMD_INFO_EXTENTS_H
#define CMD_INFO_EXTENTS_H

#include "labyrinth_extent.h"

/* ,"extent_rooms":N,"extents":[...] */
void extents_json(const struct labyrinth *lab);
/* ,"peers":[...] one per lent extent: lease, peer, QEMU pid, domain */
void peers_json(const struct labyrinth *lab);
void extents_text(const struct labyrinth *lab);

#endif
