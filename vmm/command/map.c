// SPDX-License-Identifier: MIT
/*
 * map.c - `labyrinth map NAME [--svg FILE]`: a picture of who holds which
 * district.  One row per corridor, one cell per district (or per group of
 * districts, said in the heading, so a big labyrinth still fits a line
 * of COLUMNS, or of the terminal, or of 64 cells).
 * A cell is two characters, so it reads without colour too: the owner's
 * glyph and the fill in tenths (palette.h).  In a terminal, unless NO_COLOR
 * is set, the cell also takes the owner's colour, paler when less full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "map_svg.h"
#include "palette.h"
#include "parse.h"
#include "survey.h"

/* Without a terminal to ask, a row is at most this many cells. */
#define MAP_CELLS_PLAIN	64u
#define MAP_CELLS_MIN	8u
/* "corridor NN |" before the cells, "|" after. */
#define MAP_ROW_FRAME	14u

static bool colour_wanted(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no && *no);
}

/* The width: COLUMNS if set (as for ls), else the terminal's. */
static uint32_t columns(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	uint64_t v;

	if (env && !parse_uint(env, 1, 65535, &v))
		return (uint32_t)v;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		return ws.ws_col;
	return 0;
}

static uint32_t cells_per_row(void)
{
	uint32_t cols = columns(), cells;

	if (!cols)
		return MAP_CELLS_PLAIN;
	cells = cols > MAP_ROW_FRAME ? (cols - MAP_ROW_FRAME) / 2 : 0;
	return cells < MAP_CELLS_MIN ? MAP_CELLS_MIN : cells;
}

/* Districts per cell: enough that the widest corridor fits one row. */
static uint32_t districts_per_cell(const struct survey *s)
{
	uint32_t widest = 0, cells = cells_per_row();

	for (uint32_t c = 0; c < s->census.corridors; c++) {
		uint32_t n = survey_corridor_start(s, c + 1) -
			     survey_corridor_start(s, c);

		if (n > widest)
			widest = n;
	}
	return widest <= cells ? 1 : (widest + cells - 1) / cells;
}

/* xterm's 256 colours: the 6x6x6 cube from index 16. */
static unsigned int cube(struct palette_rgb c)
{
	return 16 + 36 * ((c.r * 5u + 127) / 255) + 6 * ((c.g * 5u + 127) / 255) +
	       (c.b * 5u + 127) / 255;
}

/* @text in the colour of @owner at @fill, or plain. */
static void paint(const char *text, uint32_t owner, double fill, bool colour)
{
	struct palette_rgb bg;

	if (!colour || owner == SURVEY_FREE) {
		fputs(text, stdout);
		return;
	}
	bg = palette_colour(owner, fill);
	printf("\033[48;5;%um\033[38;5;%um%s\033[0m", cube(bg),
	       cube(palette_ink(bg)), text);
}

/* A district lent to a QEMU guest is its, claimed or not: its glyph,
 * even where the fill says nothing is claimed. */
static void cell_print(const struct survey_span *sp, bool colour)
{
	uint32_t whose = survey_span_whose(sp);
	char text[3] = { palette_glyph(whose), palette_fill(sp->claimed, sp->rooms), 0 };

	paint(text, whose, (double)sp->claimed / sp->rooms, colour);
}

/* A legend's key: the owner's glyph alone, in its colour when full. */
static void key_print(uint32_t owner, bool colour)
{
	char text[3] = { palette_glyph(owner), ' ', 0 };

	fputs("  ", stdout);
	paint(text, owner, 1.0, colour);
	fputs("  ", stdout);
}

static void corridor_print(const struct survey *s, uint32_t c,
			   uint32_t per_cell, bool colour)
{
	uint32_t first = survey_corridor_start(s, c);
	uint32_t end = survey_corridor_start(s, c + 1);

	printf("corridor %2u |", c);
	for (uint32_t d = first; d < end; d += per_cell) {
		uint32_t n = end - d < per_cell ? end - d : per_cell;
		struct survey_span sp = survey_span(s, d, n);

		cell_print(&sp, colour);
	}
	puts("|");
}

static void legend_guest(const struct survey_lease *l, bool colour)
{
	char who[128];

	key_print(l->info.guest, colour);
	printf("guest %u  %s  %u rooms", l->info.guest,
	       borrower_who(who, sizeof(who), &l->info, &l->borrower), l->info.rooms);
	if (l->borrower.extents)
		printf(" (%u in its mailbox%s), %u extent%s lent", l->borrower.mailbox,
		       l->borrower.extents > 1 ? "es" : "", l->borrower.extents,
		       l->borrower.extents > 1 ? "s" : "");
	putchar('\n');
}

/* Which extents are lent: their rooms are their QEMU guest's alone. */
static void extents_print(const struct survey *s)
{
	unsigned int lent = 0;

	printf("%u extents of %u rooms", s->extents, s->extent_rooms);
	for (uint32_t k = 0; k < s->extents && k < LAB_EXTENTS_MAX; k++) {
		const struct survey_extent *e = &s->extent[k];

		if (e->state == LAB_EXTENT_POOL)
			continue;
		printf("%s %u to guest %u%s", lent++ ? "," : "; lent:", k, e->guest,
		       e->state == LAB_EXTENT_RETURNING ? " (returning)" : "");
	}
	printf("%s\n", lent ? "" : "; none lent");
}

static void legend_print(const struct survey *s, bool colour)
{
	printf("legend: first character the owner, second the fill\n");
	for (unsigned int i = 0; i < s->leases; i++)
		legend_guest(&s->lease[i], colour);
	key_print(SURVEY_MIXED, colour);
	printf("mixed: rooms of several guests\n");
	key_print(SURVEY_FREE, colour);
	printf("free: no room claimed (the fill is '.' too)\n");
	printf("  a QEMU guest's glyph covers its lent extents, claimed or not:\n"
	       "  no other guest can claim there\n");
	printf("  fill: 0-9 tenths claimed (0 = under 10 %%), # full\n");
}

static void map_print(const struct survey *s)
{
	uint32_t per_cell = districts_per_cell(s);
	bool colour = colour_wanted();
	const struct lab_census *c = &s->census;

	printf("labyrinth %s: %u rooms, %u free, %u claimed, %u reserved\n",
	       s->name, c->rooms, c->free, c->claimed, c->reserved);
	printf("%u districts in %u corridors; one cell = %u district%s "
	       "(%u MiB)\n", s->districts, c->corridors, per_cell,
	       per_cell == 1 ? "" : "s", per_cell * 2);
	extents_print(s);
	for (uint32_t k = 0; k < c->corridors; k++)
		corridor_print(s, k, per_cell, colour);
	legend_print(s, colour);
}

int cmd_map(int argc, char **argv)
{
	enum { OPT_SVG = 256 };
	static const struct option opts[] = {
		{ "svg", required_argument, NULL, OPT_SVG },
		{ 0 },
	};
	const char *name, *svg = NULL;
	struct labyrinth *lab;
	struct survey s;
	int opt, err;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt != OPT_SVG)
			return CLI_EUSAGE;
		svg = optarg;
	}
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("map", name, err);
	err = survey_take(lab, name, true, &s);
	if (err) {
		lab_detach(lab);
		return cli_fail("map", name, err);
	}
	if (svg)
		err = map_svg_write(lab, &s, svg);
	else
		map_print(&s);
	survey_free(&s);
	lab_detach(lab);
	return err;
}
