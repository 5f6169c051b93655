// SPDX-License-Identifier: MIT
/*
 * map_svg.c - the map as SVG, for a bug report or a README.  Corridors are
 * bands, top to bottom; a district is a tile, left to right.  A small
 * labyrinth's tile is its 512 rooms, 32 by 16, each a square with a hover
 * title (room, district, corridor, owner); a big one's tile is one square
 * per district, shaded by fill like the terminal map.  Elements carry
 * data-room / data-district and data-guest, for scripts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "map_svg.h"
#include "palette.h"

#define SVG_LEFT	110	/* corridor labels */
#define SVG_TOP		56	/* title lines */
#define SVG_GAP		8
#define SVG_ROOM	6	/* pitch of a room square (5 px and a gap) */
#define SVG_ROOM_COLS	32
#define SVG_DISTRICT	18	/* pitch of a district square */
#define SVG_WIDTH_TILES_ROOMS	4
#define SVG_WIDTH_TILES		32
#define SVG_LEGEND_LINE	20

struct svg_layout {
	bool rooms;		/* one square per room */
	uint32_t tile_w, tile_h, per_line;
	uint32_t width;
};

static struct svg_layout layout(const struct survey *s)
{
	struct svg_layout l = { .rooms = s->census.rooms <= MAP_SVG_ROOMS_MAX };

	if (l.rooms) {
		l.tile_w = SVG_ROOM_COLS * SVG_ROOM + SVG_GAP;
		l.tile_h = LAB_DISTRICT_ROOMS / SVG_ROOM_COLS * SVG_ROOM + SVG_GAP;
		l.per_line = SVG_WIDTH_TILES_ROOMS;
	} else {
		l.tile_w = l.tile_h = SVG_DISTRICT;
		l.per_line = SVG_WIDTH_TILES;
	}
	l.width = SVG_LEFT + l.per_line * l.tile_w + SVG_GAP;
	return l;
}

static uint32_t band_height(const struct svg_layout *l, uint32_t districts)
{
	uint32_t lines = (districts + l->per_line - 1) / l->per_line;

	return (lines ? lines : 1) * l->tile_h + SVG_GAP;
}

static void colour_attr(FILE *f, uint32_t owner, double fill)
{
	struct palette_rgb c = palette_colour(owner, fill);

	fprintf(f, "fill=\"#%02x%02x%02x\"", c.r, c.g, c.b);
}

/* Text as XML character data: a domain name is whatever QEMU was named. */
static void text_svg(FILE *f, const char *text)
{
	for (; *text; text++) {
		if (*text == '<')
			fputs("&lt;", f);
		else if (*text == '>')
			fputs("&gt;", f);
		else if (*text == '&')
			fputs("&amp;", f);
		else
			fputc(*text, f);
	}
}

static void lease_words(FILE *f, const struct survey_lease *l)
{
	char who[128];

	text_svg(f, borrower_who(who, sizeof(who), &l->info, &l->borrower));
}

static void owner_words(FILE *f, const struct survey *s, uint32_t guest)
{
	const struct survey_lease *l = survey_lease(s, guest);

	fprintf(f, "guest %u", guest);
	if (l) {
		fprintf(f, " (");
		lease_words(f, l);
		fprintf(f, ")");
	}
}

/* A free room or district in a lent extent is not claimable by others. */
static void lent_words(FILE *f, const struct survey *s, uint32_t lent_to)
{
	if (lent_to >= LAB_MAX_GUESTS)
		return;
	fprintf(f, " in an extent lent to ");
	owner_words(f, s, lent_to);
	fprintf(f, ": only it claims here");
}

static void room_svg(FILE *f, struct labyrinth *lab, const struct survey *s,
		     uint32_t room, uint32_t x, uint32_t y, uint32_t c)
{
	uint32_t o = lab_room_owner(lab, room), g = lab_owner_guest(o);
	uint32_t lent_to = s->district[room / LAB_DISTRICT_ROOMS].lent_to;

	fprintf(f, "<rect class=\"room\" data-room=\"%u\"", room);
	if (o)
		fprintf(f, " data-guest=\"%u\"", g);
	if (lent_to < LAB_MAX_GUESTS)
		fprintf(f, " data-lent-to=\"%u\"", lent_to);
	fprintf(f, " x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" ", x, y,
		SVG_ROOM - 1, SVG_ROOM - 1);
	/* a free room of a lent extent: its guest's colour, faint */
	colour_attr(f, o ? g : lent_to, o ? 0.8 : 0.1);
	fprintf(f, "><title>room %u, district %u, corridor %u: ", room,
		room / LAB_DISTRICT_ROOMS, c);
	if (o) {
		owner_words(f, s, g);
		fprintf(f, ", vcpu %u, claimed", lab_owner_vcpu(o));
	} else {
		fprintf(f, "free");
		lent_words(f, s, lent_to);
	}
	fprintf(f, "</title></rect>\n");
}

static void district_rooms_svg(FILE *f, struct labyrinth *lab,
			       const struct survey *s, uint32_t d,
			       uint32_t x, uint32_t y, uint32_t c)
{
	uint32_t first = d * LAB_DISTRICT_ROOMS;

	for (uint32_t i = 0; i < s->district[d].rooms; i++)
		room_svg(f, lab, s, first + i, x + i % SVG_ROOM_COLS * SVG_ROOM,
			 y + i / SVG_ROOM_COLS * SVG_ROOM, c);
}

static void district_svg(FILE *f, const struct survey *s, uint32_t d,
			 uint32_t x, uint32_t y, uint32_t c)
{
	const struct survey_span *sp = &s->district[d];

	fprintf(f, "<rect class=\"district\" data-district=\"%u\"", d);
	if (sp->owner < LAB_MAX_GUESTS)
		fprintf(f, " data-guest=\"%u\"", sp->owner);
	if (sp->lent_to < LAB_MAX_GUESTS)
		fprintf(f, " data-lent-to=\"%u\"", sp->lent_to);
	fprintf(f, " x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" ", x, y,
		SVG_DISTRICT - 2, SVG_DISTRICT - 2);
	colour_attr(f, survey_span_whose(sp), (double)sp->claimed / sp->rooms);
	fprintf(f, "><title>district %u, corridor %u: ", d, c);
	if (sp->owner < LAB_MAX_GUESTS)
		owner_words(f, s, sp->owner);
	else
		fprintf(f, sp->owner == SURVEY_MIXED ? "mixed" : "free");
	fprintf(f, ", %u of %u rooms claimed", sp->claimed, sp->rooms);
	lent_words(f, s, sp->lent_to);
	fprintf(f, "</title></rect>\n");
}

static uint32_t corridor_svg(FILE *f, struct labyrinth *lab,
			     const struct survey *s, const struct svg_layout *l,
			     uint32_t c, uint32_t y)
{
	uint32_t first = survey_corridor_start(s, c);
	uint32_t end = survey_corridor_start(s, c + 1);

	fprintf(f, "<text x=\"8\" y=\"%u\">corridor %u</text>\n", y + 12, c);
	for (uint32_t d = first; d < end; d++) {
		uint32_t x = SVG_LEFT + (d - first) % l->per_line * l->tile_w;
		uint32_t ty = y + (d - first) / l->per_line * l->tile_h;

		if (l->rooms)
			district_rooms_svg(f, lab, s, d, x, ty, c);
		else
			district_svg(f, s, d, x, ty, c);
	}
	return y + band_height(l, end - first);
}

static void swatch(FILE *f, uint32_t y, uint32_t owner, const char *words)
{
	fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"14\" height=\"14\" ",
		SVG_LEFT, y);
	colour_attr(f, owner, 0.8);
	fprintf(f, " stroke=\"#888\"/><text x=\"%u\" y=\"%u\">", SVG_LEFT + 22, y + 12);
	/* NULL: the caller writes the words and ends the text */
	if (words)
		fprintf(f, "%s</text>\n", words);
}

static uint32_t legend_svg(FILE *f, const struct survey *s, uint32_t y)
{
	for (unsigned int i = 0; i < s->leases; i++, y += SVG_LEGEND_LINE) {
		const struct survey_lease *l = &s->lease[i];

		swatch(f, y, l->info.guest, NULL);
		fprintf(f, "guest %u, ", l->info.guest);
		lease_words(f, l);
		fprintf(f, ": %u rooms", l->info.rooms);
		if (l->borrower.extents)
			fprintf(f, " (%u in its mailbox), its extents lent", l->borrower.mailbox);
		fprintf(f, "</text>\n");
	}
	swatch(f, y, SURVEY_FREE, "free");
	y += SVG_LEGEND_LINE;
	if (!layout(s).rooms) {
		swatch(f, y, SURVEY_MIXED, "mixed: rooms of several guests "
		       "(paler: less full)");
		y += SVG_LEGEND_LINE;
	}
	return y;
}

static uint32_t height(const struct survey *s, const struct svg_layout *l)
{
	uint32_t h = SVG_TOP;

	for (uint32_t c = 0; c < s->census.corridors; c++)
		h += band_height(l, survey_corridor_start(s, c + 1) -
				    survey_corridor_start(s, c));
	return h + (s->leases + 3) * SVG_LEGEND_LINE + SVG_GAP;
}

static void heading_svg(FILE *f, const struct survey *s,
			const struct svg_layout *l)
{
	const struct lab_census *c = &s->census;

	fprintf(f, "<title>labyrinth %s</title>\n", s->name);
	fprintf(f, "<text x=\"8\" y=\"20\" font-weight=\"bold\">labyrinth %s: "
		"%u rooms, %u free, %u claimed, %u reserved</text>\n", s->name,
		c->rooms, c->free, c->claimed, c->reserved);
	fprintf(f, "<text x=\"8\" y=\"40\">%u districts in %u corridors; "
		"one square per %s</text>\n", s->districts, c->corridors,
		l->rooms ? "room (hover for its owner)" : "district (2 MiB)");
}

static void svg_print(FILE *f, struct labyrinth *lab, const struct survey *s)
{
	struct svg_layout l = layout(s);
	uint32_t h = height(s, &l), y = SVG_TOP;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" "
		"font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n", l.width, h, l.width, h);
	heading_svg(f, s, &l);
	for (uint32_t c = 0; c < s->census.corridors; c++)
		y = corridor_svg(f, lab, s, &l, c, y);
	legend_svg(f, s, y + SVG_GAP);
	fprintf(f, "</svg>\n");
}

int map_svg_write(struct labyrinth *lab, const struct survey *s,
		  const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return cli_fail("map", path, LAB_ENOMEM);
	svg_print(f, lab, s);
	err = ferror(f) | fclose(f) ? -ENOMEM : 0;
	if (err) {
		free(text);
		return cli_fail("map", path, LAB_ENOMEM);
	}
	err = cli_output("map", path, text, len);
	free(text);
	return err;
}
