// SPDX-License-Identifier: MIT
/*
 * top_term.c - the live view's terminal.  Keys come without echo and
 * without waiting for a line (ICANON and ECHO off) but ISIG stays on, so
 * Ctrl-C is still SIGINT, read with SIGTERM and SIGHUP from the stop fd
 * (stop.c) that the wait polls beside the keys; the loop then leaves
 * through top_term_leave().
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "top_term.h"

static bool leaving;
static int stop_fd = -1;	/* none for --once: a signal ends it as ever */
static struct termios saved;
static bool keys, screen;
static bool watching;		/* keys, until the terminal hangs up */

static void keys_take(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return;
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	watching = keys;
}

void top_term_enter(void)
{
	stop_fd = cli_stop_fd();
	keys_take();
	screen = isatty(STDOUT_FILENO);
	if (screen)
		fputs("\033[?1049h\033[?25l", stdout);	/* alternate screen */
}

void top_term_frame(void)
{
	static bool first = true;

	if (screen)
		fputs("\033[H\033[2J", stdout);
	else if (!first)
		putchar('\n');
	first = false;
}

/* Seconds, from the one clock of the host programs. */
static double now(void)
{
	return clock_ns() / 1e9;
}

/* A hung-up terminal polls readable for ever: stop watching it rather
 * than spin until the next frame. */
static bool key_quits(void)
{
	char k;

	if (read(STDIN_FILENO, &k, 1) == 1)
		return k == 'q' || k == 'Q';
	watching = false;
	return false;
}

bool top_term_wait(double seconds)
{
	double end = now() + seconds;

	fflush(stdout);
	while (!leaving) {
		struct pollfd p[2] = { { watching ? STDIN_FILENO : -1, POLLIN, 0 },
				       { stop_fd, POLLIN, 0 } };
		double left = end - now();

		if (left <= 0)
			return false;
		if (poll(p, 2, (int)(left * 1000) + 1) <= 0)
			continue;
		if (p[1].revents && cli_stop_signal(stop_fd))
			leaving = true;
		else if (p[0].revents && key_quits())
			return true;
	}
	return true;
}

void top_term_leave(void)
{
	if (screen)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	keys = screen = false;
}
