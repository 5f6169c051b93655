/* SPDX-License-Identifier: MIT */
/*
 * palette.h - how the pictures of `labyrinth map` (terminal and SVG) name
 * an owner and a fill: one glyph and one colour per guest, a fill glyph,
 * and the shade a fill gives the owner's colour.  One place, so the
 * terminal and the SVG always agree.
 */
#ifndef VMM_COMMAND_PALETTE_H
#define VMM_COMMAND_PALETTE_H

#include <stdint.h>

struct palette_rgb {
	uint8_t r, g, b;
};

/* 'A'..'Z', 'a'..'z', '0'..'9', '@', '&' for guests 0..63; '.' free,
 * '*' mixed (survey.h's SURVEY_FREE, SURVEY_MIXED). */
char palette_glyph(uint32_t owner);
/* '.' nothing claimed, '0'..'9' tenths claimed (rounded down), '#' full. */
char palette_fill(uint32_t claimed, uint32_t rooms);
/* The owner's colour, lighter for a low @fill (0..1): a guest's own hue,
 * grey for mixed, near white for free. */
struct palette_rgb palette_colour(uint32_t owner, double fill);
/* Black or white, whichever reads on @bg. */
struct palette_rgb palette_ink(struct palette_rgb bg);

#endif /* VMM_COMMAND_PALETTE_H */
