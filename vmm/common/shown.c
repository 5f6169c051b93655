// SPDX-License-Identifier: MIT
/*
 * shown.c - text as typed, printed on one line whatever it holds: a byte
 * that is not printable ASCII (a newline, a terminal's escape) shows as
 * \xHH, so an error quoting a name, an option or a path stays one line
 * and cannot recolour the terminal.  The one printer of the host
 * programs' quoted input (the monitor's usage errors, every `labyrinth`
 * error line).
 */
#include "shown.h"

void shown_print(FILE *f, const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c >= 0x20 && *c < 0x7f && *c != '\\')
			fputc(*c, f);
		else
			fprintf(f, "\\x%02x", *c);
	}
}
