/* SPDX-License-Identifier: MIT */
/*
 * map_svg.h - `labyrinth map --svg FILE`: the map as a standalone SVG.
 */
#ifndef VMM_COMMAND_MAP_SVG_H
#define VMM_COMMAND_MAP_SVG_H

#include "survey.h"

/* Up to this many rooms the SVG has one square per room; above, one per
 * district (a browser stays responsive with tens of thousands of
 * elements, not millions). */
#define MAP_SVG_ROOMS_MAX	16384u

/* Write the picture of @s (taken with districts) to @path ("-" is
 * stdout).  A CLI status: 0, or 1 after one line on stderr. */
int map_svg_write(struct labyrinth *lab, const struct survey *s,
		  const char *path);

#endif /* VMM_COMMAND_MAP_SVG_H */
