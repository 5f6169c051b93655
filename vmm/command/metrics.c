// SPDX-License-Identifier: MIT
/*
 * metrics.c - `labyrinth metrics NAME [--textfile PATH | --listen
 * [ADDR:]PORT]`: the survey's figures in the Prometheus text exposition
 * format.  Without an option they go to stdout; --textfile writes them
 * for node_exporter's textfile collector (Debian's
 * prometheus-node-exporter reads the .prom files of
 * /var/lib/prometheus/node-exporter),
 * whole or not at all: a temporary file renamed over PATH; --listen
 * serves them over HTTP (metrics_http.c).
 *
 * Every metric is one row of the table below and, if its figure is new,
 * one getter line.  Every sample has the label labyrinth="NAME"; per
 * corridor metrics add corridor="K", per guest ones guest="G" (the lease).
 * A guest's counters start from 0 with each new lease of its slot, which
 * Prometheus takes as a counter reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "metrics.h"
#include "survey.h"

enum metric_per { PER_LABYRINTH, PER_CORRIDOR, PER_GUEST };

struct metric {
	const char *name, *type;
	enum metric_per per;
	uint64_t (*value)(const struct survey *s, unsigned int i);
	const char *help;
};

/* @i is the corridor, or the index of the lease in the survey. */
#define GETTER(fn, expr)						\
	static uint64_t fn(const struct survey *s, unsigned int i)	\
	{ (void)i; return (uint64_t)(expr); }

GETTER(rooms, s->census.rooms)
GETTER(rooms_free, s->census.free)
GETTER(rooms_claimed, s->census.claimed)
GETTER(rooms_reserved, s->census.reserved)
GETTER(pinned, s->pinned)
GETTER(leases, s->leases)
GETTER(corridor_rooms, s->census.corridor_rooms[i])
GETTER(corridor_free, s->census.corridor_free[i])
GETTER(guest_alive, s->lease[i].info.alive)
GETTER(guest_pid, s->lease[i].info.pid > 0 ? s->lease[i].info.pid : 0)
GETTER(guest_rooms, s->lease[i].info.rooms)
GETTER(guest_claimed, s->lease[i].claimed)
GETTER(guest_released, s->lease[i].released)
GETTER(guest_refused, s->lease[i].refused)
GETTER(guest_limited, s->lease[i].limited)
GETTER(guest_max, s->lease[i].limits.max == LAB_UNLIMITED ? 0 : s->lease[i].limits.max)
GETTER(guest_min, s->lease[i].limits.min)
GETTER(guest_cached, s->lease[i].limits.cached)
GETTER(rooms_dirty, s->census.dirty)
GETTER(rooms_watched, s->watched > 0 ? s->watched : 0)
GETTER(watermark_low, s->watermarks.low)
GETTER(watermark_high, s->watermarks.high)
GETTER(pressure_episodes, s->pressure_events)
GETTER(under_pressure, s->under_pressure)

static const struct metric metrics[] = {
	{ "labyrinth_rooms", "gauge", PER_LABYRINTH, rooms,
	  "Rooms (4 KiB pages) in the labyrinth." },
	{ "labyrinth_rooms_free", "gauge", PER_LABYRINTH, rooms_free,
	  "Rooms free, counted from the free maps." },
	{ "labyrinth_rooms_claimed", "gauge", PER_LABYRINTH, rooms_claimed,
	  "Rooms claimed by some guest." },
	{ "labyrinth_rooms_reserved", "gauge", PER_LABYRINTH, rooms_reserved,
	  "Rooms kept for atomic claims (the min watermark)." },
	{ "labyrinth_rooms_dirty", "gauge", PER_LABYRINTH, rooms_dirty,
	  "Free rooms released and not zeroed yet (no claim gets one before)." },
	{ "labyrinth_rooms_watched", "gauge", PER_LABYRINTH, rooms_watched,
	  "Free rooms the watermarks watch: those monitors can claim (estimate)." },
	{ "labyrinth_pinned", "gauge", PER_LABYRINTH, pinned,
	  "1 if this reader could mlock the labyrinth, else 0." },
	{ "labyrinth_leases", "gauge", PER_LABYRINTH, leases,
	  "Lease slots taken (alive, or dead and not reaped)." },
	{ "labyrinth_corridor_rooms", "gauge", PER_CORRIDOR, corridor_rooms,
	  "Rooms in the corridor." },
	{ "labyrinth_corridor_rooms_free", "gauge", PER_CORRIDOR, corridor_free,
	  "Rooms free in the corridor." },
	{ "labyrinth_guest_alive", "gauge", PER_GUEST, guest_alive,
	  "1 while the lease's holder lives, 0 for a dead lease not reaped." },
	{ "labyrinth_guest_pid", "gauge", PER_GUEST, guest_pid,
	  "Pid of the lease's holder as this reader sees it, 0 if unknown." },
	{ "labyrinth_guest_rooms", "gauge", PER_GUEST, guest_rooms,
	  "Rooms the guest owns now." },
	{ "labyrinth_guest_rooms_claimed_total", "counter", PER_GUEST,
	  guest_claimed, "Rooms granted to the guest's claims." },
	{ "labyrinth_guest_rooms_released_total", "counter", PER_GUEST,
	  guest_released, "Rooms the guest released (each scrubbed before "
	  "it can be claimed again)." },
	{ "labyrinth_guest_claims_refused_total", "counter", PER_GUEST,
	  guest_refused, "Claims of the guest that got no room." },
	{ "labyrinth_guest_claims_limited_total", "counter", PER_GUEST,
	  guest_limited, "Claims of the guest cut short or refused by its max." },
	{ "labyrinth_guest_max_rooms", "gauge", PER_GUEST, guest_max,
	  "The guest's max (0: none)." },
	{ "labyrinth_guest_min_rooms", "gauge", PER_GUEST, guest_min,
	  "Rooms kept claimable for the guest (0: no guarantee)." },
	{ "labyrinth_guest_cached_rooms", "gauge", PER_GUEST, guest_cached,
	  "Rooms the guest says its own caches keep (its word, not checked)." },
	{ "labyrinth_watermark_low_rooms", "gauge", PER_LABYRINTH, watermark_low,
	  "Free rooms below which a pressure episode begins." },
	{ "labyrinth_watermark_high_rooms", "gauge", PER_LABYRINTH, watermark_high,
	  "Free rooms above which a pressure episode ends." },
	{ "labyrinth_pressure_episodes_total", "counter", PER_LABYRINTH, pressure_episodes,
	  "Pressure episodes begun (free fell below the low watermark)." },
	{ "labyrinth_under_pressure", "gauge", PER_LABYRINTH, under_pressure,
	  "1 while a pressure episode lasts." },
};

static void sample(FILE *f, const struct metric *m, const struct survey *s,
		   unsigned int i)
{
	fprintf(f, "%s{labyrinth=\"%s\"", m->name, s->name);
	if (m->per == PER_CORRIDOR)
		fprintf(f, ",corridor=\"%u\"", i);
	else if (m->per == PER_GUEST)
		fprintf(f, ",guest=\"%u\"", s->lease[i].info.guest);
	fprintf(f, "} %llu\n", (unsigned long long)m->value(s, i));
}

static void metric_print(FILE *f, const struct metric *m,
			 const struct survey *s)
{
	unsigned int n = m->per == PER_CORRIDOR ? s->census.corridors :
			 m->per == PER_GUEST ? s->leases : 1;

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
		m->type);
	for (unsigned int i = 0; i < n; i++)
		sample(f, m, s, i);
}

char *metrics_text(struct labyrinth *lab, const char *name, size_t *len)
{
	char *text = NULL;
	struct survey s;
	FILE *f;

	if (survey_take(lab, name, false, &s))
		return NULL;
	f = open_memstream(&text, len);
	if (!f)
		return NULL;
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
		metric_print(f, &metrics[m], &s);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static int metrics_once(struct labyrinth *lab, const char *name,
			const char *textfile)
{
	size_t len;
	char *text = metrics_text(lab, name, &len);
	int err;

	if (!text)
		return cli_fail("metrics", name, LAB_ENOMEM);
	err = textfile ? cli_write_file(textfile, text, len)
		       : cli_write_all(STDOUT_FILENO, text, len);
	free(text);
	if (!err)
		return CLI_OK;
	cli_error("metrics: cannot write '%s': %s", textfile ? textfile : "stdout",
		  strerror(-err));
	return CLI_ESYS;
}

int cmd_metrics(int argc, char **argv)
{
	enum { OPT_TEXTFILE = 256, OPT_LISTEN };
	static const struct option opts[] = {
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ 0 },
	};
	const char *name, *textfile = NULL, *listen = NULL;
	struct labyrinth *lab;
	int opt, err;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt == OPT_TEXTFILE)
			textfile = optarg;
		else if (opt == OPT_LISTEN)
			listen = optarg;
		else
			return CLI_EUSAGE;
	}
	if (textfile && listen)
		return cli_usage("metrics: --textfile or --listen, not both");
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("metrics", name, err);
	err = listen ? metrics_http(lab, name, listen)
		     : metrics_once(lab, name, textfile);
	lab_detach(lab);
	return err;
}
