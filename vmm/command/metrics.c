// SPDX-License-Identifier: MIT
/*
 * metrics.c - `labyrinth metrics NAME [--textfile PATH | --listen
 * [ADDR:]PORT]`: the survey's figures in the Prometheus text exposition
 * format.  Without an option they go to stdout; --textfile writes them
 * for node_exporter's textfile collector (Debian's
 * prometheus-node-exporter reads the .prom files of
 * /var/lib/prometheus/node-exporter),
 * whole or not at all (output.c: a temporary file renamed over PATH, a
 * fifo or device written to, `-` stdout); --listen serves them over HTTP
 * (metrics_http.c).
 *
 * Every metric is one row of the table below and, if its figure is new,
 * one getter line.  Every sample has the label labyrinth="NAME"; per
 * corridor metrics add corridor="K"; per extent ones extent="K".  Per
 * guest ones add guest="G" (the lease) and pid="P" (QEMU's for a QEMU
 * guest, else the pid the lease's holder saw itself as), and domain="D"
 * for a QEMU guest libvirt named: the lease slot alone passes to the next
 * guest, whose counters start from 0, which Prometheus would take for a
 * reset of the same series; with its pid each guest's life is a series of
 * its own.  A lent extent's samples carry its borrower's labels too.
 * Every count `info --json` shows is one of these, and the other way round
 * (README.md, "labyrinth metrics").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "metrics.h"
#include "survey.h"

enum metric_per {
	PER_LABYRINTH, PER_CORRIDOR, PER_GUEST,
	PER_EXTENT,		/* every extent */
	PER_EXTENT_STATE,	/* every extent, each of the three states */
	PER_LENT,		/* every extent lent or returning */
	PER_ASKED,		/* every guest the host asks for a size */
};

#define EXTENT_STATES	3	/* pool, lent, returning */

struct metric {
	const char *name, *type;
	enum metric_per per;
	uint64_t (*value)(const struct survey *s, unsigned int i);
	const char *help;
};

static uint32_t lent_count(const struct survey *s)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < s->extents; k++)
		n += s->extent[k].state != LAB_EXTENT_POOL;
	return n;
}

/* @i is the corridor, the index of the lease in the survey, or the
 * extent (PER_EXTENT_STATE: extent * EXTENT_STATES + state). */
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
GETTER(guest_asked, s->lease[i].limits.asked)
GETTER(guest_held, s->lease[i].limits.held > 0 ? s->lease[i].limits.held : 0)
GETTER(guest_unmet, s->lease[i].limits.unmet)
GETTER(rooms_dirty, s->census.dirty)
GETTER(rooms_watched, s->watched > 0 ? s->watched : 0)
GETTER(watermark_low, s->watermarks.low)
GETTER(watermark_high, s->watermarks.high)
GETTER(pressure_episodes, s->pressure_events)
GETTER(under_pressure, s->under_pressure)
GETTER(districts, s->districts)
GETTER(corridors, s->census.corridors)
GETTER(watermark_min, s->watermarks.min)
GETTER(guest_qemu_pid, s->lease[i].borrower.qemu_pid > 0 ? s->lease[i].borrower.qemu_pid : 0)
GETTER(guest_extents, s->lease[i].borrower.extents)
GETTER(guest_mailbox, s->lease[i].borrower.mailbox)
GETTER(extent_size, s->extent_rooms)
GETTER(extents, s->extents)
GETTER(peers, lent_count(s))
GETTER(extent_rooms, s->extent[i].rooms)
GETTER(extent_state, s->extent[i / EXTENT_STATES].state == i % EXTENT_STATES)
GETTER(extent_lendable, s->extent[i].lendable)
GETTER(extent_mapped, s->extent[i].mapped)
GETTER(extent_claimed, s->extent[i].claimed)

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
	  "1 if this reader may mlock the labyrinth (CAP_IPC_LOCK or RLIMIT_MEMLOCK), else 0." },
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
	{ "labyrinth_guest_asked_rooms", "gauge", PER_ASKED, guest_asked,
	  "Rooms the host asks the guest to hold (limit --ask), its mailbox aside; "
	  "no sample while it asks none." },
	{ "labyrinth_guest_unmet_rooms", "gauge", PER_GUEST, guest_unmet,
	  "Rooms above the host's ask the guest says are in use (it cannot give "
	  "them back); 0 when it met the ask." },
	{ "labyrinth_guest_held_rooms", "gauge", PER_GUEST, guest_held,
	  "Rooms the guest holds, its mailbox aside, as its max and ask count them." },
	{ "labyrinth_watermark_low_rooms", "gauge", PER_LABYRINTH, watermark_low,
	  "Free rooms below which a pressure episode begins." },
	{ "labyrinth_watermark_high_rooms", "gauge", PER_LABYRINTH, watermark_high,
	  "Free rooms above which a pressure episode ends." },
	{ "labyrinth_pressure_episodes_total", "counter", PER_LABYRINTH, pressure_episodes,
	  "Pressure episodes begun (free fell below the low watermark)." },
	{ "labyrinth_under_pressure", "gauge", PER_LABYRINTH, under_pressure,
	  "1 while a pressure episode lasts." },
	{ "labyrinth_districts", "gauge", PER_LABYRINTH, districts,
	  "2 MiB districts (the last may be short)." },
	{ "labyrinth_corridors", "gauge", PER_LABYRINTH, corridors,
	  "Corridors: rows of districts, each claimer's home one." },
	{ "labyrinth_watermark_min_rooms", "gauge", PER_LABYRINTH, watermark_min,
	  "The min watermark: rooms kept for atomic claims." },
	{ "labyrinth_guest_qemu_pid", "gauge", PER_GUEST, guest_qemu_pid,
	  "QEMU's pid for a QEMU guest, 0 for a monitor's." },
	{ "labyrinth_guest_extents", "gauge", PER_GUEST, guest_extents,
	  "Extents lent to the guest (one per ivshmem device)." },
	{ "labyrinth_guest_mailbox_rooms", "gauge", PER_GUEST, guest_mailbox,
	  "Of the guest's rooms, those its devices' mailboxes take." },
	{ "labyrinth_extent_size_rooms", "gauge", PER_LABYRINTH, extent_size,
	  "Rooms per extent file." },
	{ "labyrinth_extents", "gauge", PER_LABYRINTH, extents,
	  "Extent files of the labyrinth." },
	{ "labyrinth_peers", "gauge", PER_LABYRINTH, peers,
	  "Extents lent to QEMU guests, or returning from them." },
	{ "labyrinth_extent_rooms", "gauge", PER_EXTENT, extent_rooms,
	  "Rooms in the extent." },
	{ "labyrinth_extent_state", "gauge", PER_EXTENT_STATE, extent_state,
	  "1 for the extent's state: pool (monitors claim there), lent, returning." },
	{ "labyrinth_extent_lendable", "gauge", PER_EXTENT, extent_lendable,
	  "1 if the extent is whole and so may be lent." },
	{ "labyrinth_extent_mapped", "gauge", PER_EXTENT, extent_mapped,
	  "1 while a QEMU maps the extent." },
	{ "labyrinth_extent_claimed_rooms", "gauge", PER_LENT, extent_claimed,
	  "Rooms of a lent extent its guest holds, its mailbox included." },
};

static const char *const state_names[EXTENT_STATES] = { "pool", "lent", "returning" };

/* A label value as the exposition format wants it: a domain is whatever
 * QEMU was named. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		fputc(*v, f);
	}
}

/* The labels that tell one guest's life from the next in the same slot. */
static void guest_labels(FILE *f, uint32_t guest, const struct borrower *b)
{
	fprintf(f, ",guest=\"%u\",pid=\"%llu\"", guest, (unsigned long long)b->life);
	if (b->domain[0]) {
		fprintf(f, ",domain=\"");
		label_value(f, b->domain);
		fputc('"', f);
	}
}

static const struct borrower *borrower_of(const struct survey *s, uint32_t guest)
{
	const struct survey_lease *l = survey_lease(s, guest);
	static const struct borrower none;

	return l ? &l->borrower : &none;
}

/* The samples of @m: how many, and the @i of the n-th. */
static unsigned int samples_count(const struct metric *m, const struct survey *s)
{
	switch (m->per) {
	case PER_CORRIDOR: return s->census.corridors;
	case PER_GUEST: case PER_ASKED: return s->leases;
	case PER_EXTENT: return s->extents;
	case PER_EXTENT_STATE: return s->extents * EXTENT_STATES;
	case PER_LENT: return s->extents;
	default: return 1;
	}
}

static void labels(FILE *f, const struct metric *m, const struct survey *s, unsigned int i)
{
	if (m->per == PER_CORRIDOR)
		fprintf(f, ",corridor=\"%u\"", i);
	else if (m->per == PER_GUEST || m->per == PER_ASKED)
		guest_labels(f, s->lease[i].info.guest, &s->lease[i].borrower);
	else if (m->per == PER_EXTENT)
		fprintf(f, ",extent=\"%u\"", i);
	else if (m->per == PER_EXTENT_STATE)
		fprintf(f, ",extent=\"%u\",state=\"%s\"", i / EXTENT_STATES,
			state_names[i % EXTENT_STATES]);
	if (m->per == PER_LENT) {
		fprintf(f, ",extent=\"%u\"", i);
		guest_labels(f, s->extent[i].guest, borrower_of(s, s->extent[i].guest));
	}
}

static void sample(FILE *f, const struct metric *m, const struct survey *s,
		   unsigned int i)
{
	if (m->per == PER_LENT && s->extent[i].state == LAB_EXTENT_POOL)
		return;
	/* 0 is an ask (give it all back): none is no sample */
	if (m->per == PER_ASKED && s->lease[i].limits.asked == LAB_NO_ASK)
		return;
	fprintf(f, "%s{labyrinth=\"%s\"", m->name, s->name);
	labels(f, m, s, i);
	fprintf(f, "} %llu\n", (unsigned long long)m->value(s, i));
}

static void metric_print(FILE *f, const struct metric *m,
			 const struct survey *s)
{
	unsigned int n = samples_count(m, s);

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

/* Whether @path is a file of ours to record and to remove: stdout ("-"),
 * a device or a fifo is the reader's, never removed. */
static bool textfile_ours(const char *path)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return false;
	if (lstat(path, &st))
		return errno == ENOENT;
	return S_ISREG(st.st_mode);
}

/* A textfile is recorded beside the labyrinth before it is written, so
 * that `destroy` removes it (lab_textfile_note); one written as the
 * labyrinth was destroyed would escape that, and goes too.  Written as
 * output.c writes any verb's output ("-" is stdout). */
static int textfile_write(struct labyrinth *lab, const char *name, const char *textfile,
			  const char *text, size_t len)
{
	bool ours = textfile_ours(textfile);
	int err = ours ? lab_textfile_note(name, textfile) : 0;

	if (err) {
		cli_error("metrics: cannot record '%s' for `destroy %s` to remove: %s", textfile,
			  name, err == LAB_EACCES ? lab_strerror(err) : strerror(-err));
		return err == LAB_EACCES ? CLI_EREFUSED : err == LAB_EINVAL ? CLI_EUSAGE : CLI_ESYS;
	}
	err = cli_output("metrics", textfile, text, len);
	if (!err && ours && !lab_still_named(lab, name)) {
		unlink(textfile);
		cli_error("metrics: '%s': destroyed", name);
		return CLI_ENONAME;
	}
	return err;
}

static int metrics_once(struct labyrinth *lab, const char *name,
			const char *textfile)
{
	size_t len;
	char *text = metrics_text(lab, name, &len);
	int err;

	if (!text)
		return cli_fail("metrics", name, LAB_ENOMEM);
	err = textfile_write(lab, name, textfile ? textfile : "-", text, len);
	free(text);
	return err;
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
	/* the record destroy reads has a path a line */
	if (textfile && strchr(textfile, '\n'))
		return cli_usage("metrics: --textfile '%s': a path with a newline", textfile);
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
