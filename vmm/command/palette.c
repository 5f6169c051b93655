// SPDX-License-Identifier: MIT
/*
 * palette.c - glyphs and colours of owners.  Hues step by the golden
 * angle, so guests with neighbouring ids (the usual case: leases are taken
 * lowest first) get far-apart colours.
 */
#include <math.h>

#include "palette.h"
#include "survey.h"

static const char guest_glyphs[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@&";

_Static_assert(sizeof(guest_glyphs) - 1 == LAB_MAX_GUESTS,
	       "one glyph per lease");

char palette_glyph(uint32_t owner)
{
	if (owner == SURVEY_FREE)
		return '.';
	if (owner >= LAB_MAX_GUESTS)
		return '*';
	return guest_glyphs[owner];
}

char palette_fill(uint32_t claimed, uint32_t rooms)
{
	if (!claimed)
		return '.';
	if (claimed >= rooms)
		return '#';
	return (char)('0' + (uint64_t)claimed * 10 / rooms);
}

static double hue_part(double p, double q, double t)
{
	t -= floor(t);
	if (t < 1.0 / 6)
		return p + (q - p) * 6 * t;
	if (t < 0.5)
		return q;
	if (t < 2.0 / 3)
		return p + (q - p) * (2.0 / 3 - t) * 6;
	return p;
}

static struct palette_rgb hsl(double h, double s, double l)
{
	double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;

	return (struct palette_rgb){
		(uint8_t)lround(255 * hue_part(p, q, h + 1.0 / 3)),
		(uint8_t)lround(255 * hue_part(p, q, h)),
		(uint8_t)lround(255 * hue_part(p, q, h - 1.0 / 3)),
	};
}

struct palette_rgb palette_colour(uint32_t owner, double fill)
{
	/* Full is mid-dark, nearly empty is pale: still the same hue. */
	double light = 0.86 - 0.46 * (fill < 0 ? 0 : fill > 1 ? 1 : fill);

	if (owner == SURVEY_FREE)
		return (struct palette_rgb){ 242, 242, 242 };
	if (owner >= LAB_MAX_GUESTS)
		return hsl(0, 0, light);
	return hsl(owner * 0.381966, 0.7, light);
}

struct palette_rgb palette_ink(struct palette_rgb bg)
{
	unsigned int luma = (299u * bg.r + 587u * bg.g + 114u * bg.b) / 1000;

	return luma > 140 ? (struct palette_rgb){ 0, 0, 0 }
			  : (struct palette_rgb){ 255, 255, 255 };
}
