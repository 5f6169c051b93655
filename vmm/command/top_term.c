// SPDX-License-Identifier: MIT
/*
 * top_term.c - the live view's terminal.  Keys come without echo and
 * without waiting for a line (ICANON and ECHO off) but ISIG stays on, so
 * Ctrl-C is still SIGINT: the handlers only raise a flag, and the loop,
 * never blocked for longer than a tick, leaves through top_term_leave().
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "top_term.h"

static volatile sig_atomic_t leaving;
static struct termios saved;
static bool keys, screen;
static bool watching;		/* keys, until the terminal hangs up */

static void on_signal(int sig)
{
	(void)sig;
	leaving = 1;
}

static void signals_catch(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: poll() must return at once with EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

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
	signals_catch();
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
		struct pollfd p = { watching ? STDIN_FILENO : -1, POLLIN, 0 };
		double left = end - now();

		if (left <= 0)
			return false;
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0 && key_quits())
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
