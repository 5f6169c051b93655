// SPDX-License-Identifier: MIT
/*
 * top.c - `labyrinth top NAME [--once] [--interval SECS]`: a live view,
 * like xentop.  Every interval (1 s) a frame: the rooms (free, claimed,
 * reserved), the rooms claimed, released and the claims refused per
 * second, per guest and in all, and the fill of each corridor.  A rate is
 * the difference of two tallies over the time between them (the tallies
 * are published in batches, so a rate may lag a batch behind).  --once
 * prints one frame after one interval, for scripts.
 */
#include <stdio.h>

#include "cli.h"
#include "parse.h"
#include "survey.h"
#include "top_term.h"

#define TOP_BAR		20	/* characters of a corridor's fill bar */

struct top_rates {
	double claimed, released, refused;
};

/* A tally that went down is a new lease in the slot: it counted from 0. */
static double rate(uint64_t now, uint64_t before, double dt)
{
	return (double)(now >= before ? now - before : now) / dt;
}

static struct top_rates lease_rates(const struct survey *before,
				    const struct survey_lease *l, double dt)
{
	const struct survey_lease *b = survey_lease(before, l->info.guest);
	struct survey_lease zero = { 0 };

	if (!b)
		b = &zero;
	return (struct top_rates){ rate(l->claimed, b->claimed, dt),
				   rate(l->released, b->released, dt),
				   rate(l->refused, b->refused, dt) };
}

/* A QEMU guest's pid is QEMU's: its lease's holder is the server. */
static void pid_print(const struct lab_lease_info *l, const struct borrower *b)
{
	if (b->qemu_pid > 0)
		printf("%-8d", b->qemu_pid);
	else if (!l->alive)
		printf("%-8s", "dead");
	else if (l->pid > 0)
		printf("%-8d", l->pid);
	else
		printf("%-8s", "?");
}

/* A guest's limits as MAX/MIN ("-" for none) and the claims its max cut:
 * short enough that the line keeps to 80 columns. */
static void limits_print(const struct survey_lease *l)
{
	if (l->limits.max == LAB_UNLIMITED)
		printf("-/");
	else
		printf("%u/", l->limits.max);
	if (l->limits.min)
		printf("%u", l->limits.min);
	else
		printf("-");
	if (l->limited)
		printf(" (%llu cut)", (unsigned long long)l->limited);
}

/* Under a QEMU guest's row: its domain and the extents lent to it, cut
 * to the 80 columns (a domain may be 63 characters, extents many). */
static void borrower_print(const struct survey *s, const struct survey_lease *l)
{
	char line[256] = "";
	FILE *f;

	if (!l->borrower.extents || !(f = fmemopen(line, sizeof(line) - 1, "w")))
		return;
	fprintf(f, "%7s%s", "", l->info.alive ? "" : "dead, ");
	if (l->borrower.domain[0])
		fprintf(f, "domain %s, ", l->borrower.domain);
	fprintf(f, "extent%s", l->borrower.extents > 1 ? "s" : "");
	for (uint32_t k = 0; k < s->extents && k < LAB_EXTENTS_MAX; k++)
		if (s->extent[k].state != LAB_EXTENT_POOL && s->extent[k].guest == l->info.guest)
			fprintf(f, " %u", k);
	fprintf(f, " lent, %u rooms in mailboxes", l->borrower.mailbox);
	fclose(f);
	printf("%.80s\n", line);
}

static struct top_rates guests_print(const struct survey *before,
				     const struct survey *now, double dt)
{
	struct top_rates all = { 0 };

	printf("\n%5s  %-8s%8s %10s %10s %10s  %s\n", "GUEST", "PID", "ROOMS",
	       "CLAIMED/s", "RELEASED/s", "REFUSED/s", "LIMITS max/min");
	for (unsigned int i = 0; i < now->leases; i++) {
		const struct survey_lease *l = &now->lease[i];
		struct top_rates r = lease_rates(before, l, dt);

		printf("%5u  ", l->info.guest);
		pid_print(&l->info, &l->borrower);
		printf("%8u %10.1f %10.1f %10.1f  ", l->info.rooms, r.claimed,
		       r.released, r.refused);
		limits_print(l);
		putchar('\n');
		borrower_print(now, l);
		all.claimed += r.claimed;
		all.released += r.released;
		all.refused += r.refused;
	}
	if (!now->leases)
		printf("%5s  (no leases)\n", "-");
	return all;
}

static void corridors_print(const struct lab_census *c)
{
	printf("\n%8s %10s %10s %7s\n", "CORRIDOR", "ROOMS", "FREE", "FILL");
	for (uint32_t k = 0; k < c->corridors; k++) {
		uint32_t rooms = c->corridor_rooms[k];
		uint32_t used = rooms - c->corridor_free[k];
		unsigned int bar = rooms ? (unsigned int)((uint64_t)used *
							  TOP_BAR / rooms) : 0;

		printf("%8u %10u %10u %6.1f%%  [%.*s%*s]\n", k, rooms,
		       c->corridor_free[k], rooms ? 100.0 * used / rooms : 0.0,
		       (int)bar, "####################", (int)(TOP_BAR - bar),
		       "");
	}
}

/* Two short lines, so that a frame keeps to 80 columns whatever the
 * counts; the refused claims per guest are above. */
static void pressure_print(const struct survey *now)
{
	const struct lab_watermarks *w = &now->watermarks;

	printf("\npressure: %llu episodes%s\n", (unsigned long long)now->pressure_events,
	       now->under_pressure ? ", one NOW" : "");
	printf("watermarks min/low/high %u/%u/%u on %lld rooms monitors can claim\n",
	       w->min, w->low, w->high, (long long)now->watched);
}

static void frame_print(const struct survey *before, const struct survey *now)
{
	const struct lab_census *c = &now->census;
	double dt = now->when - before->when;
	struct top_rates all;

	/* the name (up to 64 characters) on a line of its own: 80 columns */
	printf("labyrinth %s:\n%u rooms, %u free, %u claimed, %u reserved%s\n",
	       now->name, c->rooms, c->free, c->claimed, c->reserved,
	       now->pinned ? ", pinned" : "");
	all = guests_print(before, now, dt > 0 ? dt : 1);
	printf("%5s  %-8s%8u %10.1f %10.1f %10.1f\n", "all", "", c->claimed,
	       all.claimed, all.released, all.refused);
	corridors_print(c);
	pressure_print(now);
	printf("rates over %.3f s\n", dt);
}

static int destroyed(const char *name)
{
	fprintf(stderr, "labyrinth: top: '%s': destroyed\n", name);
	return CLI_ENONAME;
}

static int top_live(struct labyrinth *lab, const char *name, double interval)
{
	struct survey s[2];
	int status = CLI_OK;
	unsigned int t = 0;

	survey_take(lab, name, false, &s[0]);
	top_term_enter();
	top_term_frame();
	frame_print(&s[0], &s[0]);
	while (!top_term_wait(interval)) {
		if (!lab_still_named(lab, name)) {
			status = CLI_ENONAME;
			break;
		}
		survey_take(lab, name, false, &s[++t % 2]);
		top_term_frame();
		frame_print(&s[(t + 1) % 2], &s[t % 2]);
	}
	top_term_leave();
	return status ? destroyed(name) : CLI_OK;
}

static int top_once(struct labyrinth *lab, const char *name, double interval)
{
	struct survey s[2];

	survey_take(lab, name, false, &s[0]);
	top_term_wait(interval);
	/* A frame of a labyrinth destroyed meanwhile would be a still
	 * picture passed off as its rates: status 3, as the live view. */
	if (!lab_still_named(lab, name))
		return destroyed(name);
	survey_take(lab, name, false, &s[1]);
	frame_print(&s[0], &s[1]);
	return CLI_OK;
}

int cmd_top(int argc, char **argv)
{
	enum { OPT_ONCE = 256, OPT_INTERVAL };
	static const struct option opts[] = {
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ 0 },
	};
	double interval = 1.0;
	struct labyrinth *lab;
	bool once = false;
	const char *name;
	int opt, err;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt == OPT_ONCE)
			once = true;
		else if (opt != OPT_INTERVAL)
			return CLI_EUSAGE;
		else if (parse_seconds(optarg, &interval) || interval < 0.1)
			return cli_usage("--interval wants seconds from 0.1 to "
					 "86400, not '%s'", optarg);
	}
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("top", name, err);
	err = once ? top_once(lab, name, interval)
		   : top_live(lab, name, interval);
	lab_detach(lab);
	return err;
}
