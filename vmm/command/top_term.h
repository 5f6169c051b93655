/* SPDX-License-Identifier: MIT */
/*
 * top_term.h - the terminal of `labyrinth top`'s live view: its alternate
 * screen, keys read one by one without echo, and a terminal put back as
 * it was on every way out (q, Ctrl-C, SIGTERM, SIGHUP).
 */
#ifndef VMM_COMMAND_TOP_TERM_H
#define VMM_COMMAND_TOP_TERM_H

#include <stdbool.h>

/* Take the screen (when stdout is a terminal) and the keys (when stdin
 * is one); catch the signals that end the view. */
void top_term_enter(void);
/* Start a frame: clear the screen, or a blank line between frames. */
void top_term_frame(void);
/* Wait up to @seconds: true when it is time to leave ('q', a signal). */
bool top_term_wait(double seconds);
/* Put the terminal back. */
void top_term_leave(void);

#endif /* VMM_COMMAND_TOP_TERM_H */
