// SPDX-License-Identifier: MIT
/*
 * info.c - `labyrinth info NAME [--json]`: counts from the maps (exact)
 * and the lease table.  A lease's pid is its holder as this process sees
 * it; a holder in another PID namespace (or another user's, to a non-root
 * caller) is alive with no pid.  The fields of --json are documented in
 * README.md ("labyrinth info --json"); names once there stay.
 */
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "borrower.h"
#include "info_extents.h"
#include "labyrinth_host.h"

static double fill(uint32_t rooms, uint32_t free)
{
	return rooms ? (double)(rooms - free) / rooms : 0.0;
}

/* Its QEMU guest, if it is one: pid, domain, the extents lent to it and
 * the mailbox rooms among its rooms (borrower.h: the one rule). */
static void borrower_json(const struct borrower *b)
{
	printf(",\"qemu_pid\":");
	if (b->qemu_pid > 0)
		printf("%d", b->qemu_pid);
	else
		printf("null");
	printf(",\"domain\":");
	borrower_domain_json(b->domain);
	printf(",\"extents\":%u,\"mailbox\":%u", b->extents, b->mailbox);
}

static void lease_json(const struct labyrinth *lab, const struct lab_lease_info *l,
		       const struct borrower *b, bool first)
{
	uint64_t claimed, released, refused;
	struct lab_limits lim;

	lab_tally_read(lab, l->guest, &claimed, &released, &refused);
	lab_limits_get(lab, l->guest, &lim);
	printf("%s{\"guest\":%u,\"pid\":", first ? "" : ",", l->guest);
	if (l->pid > 0)
		printf("%d", l->pid);
	else
		printf("null");
	printf(",\"alive\":%s,\"rooms\":%u,\"claimed\":%llu,"
	       "\"released\":%llu,\"refused\":%llu,\"max\":",
	       l->alive ? "true" : "false", l->rooms,
	       (unsigned long long)claimed, (unsigned long long)released,
	       (unsigned long long)refused);
	if (lim.max == LAB_UNLIMITED)
		printf("null");
	else
		printf("%u", lim.max);
	printf(",\"min\":%u,\"limited\":%llu,\"cached\":%u", lim.min,
	       (unsigned long long)lab_tally_limited(lab, l->guest), lim.cached);
	/* asked and held count alike: rooms, its mailbox aside */
	printf(",\"asked\":");
	if (lim.asked == LAB_NO_ASK)
		printf("null");
	else
		printf("%u", lim.asked);
	printf(",\"held\":%lld,\"unmet\":%u", (long long)lim.held, lim.unmet);
	borrower_json(b);
	putchar('}');
}

/* What both forms show besides the census, read once. */
struct facts {
	struct lab_lease_info lease[LAB_MAX_GUESTS];
	unsigned int leases;
	struct borrower borrower[LAB_MAX_GUESTS];	/* by guest */
	struct lab_watermarks w;
	int64_t watched;		/* the free count they watch */
	uint64_t events;
	bool under;
};

static void facts_read(const struct labyrinth *lab, struct facts *f)
{
	f->leases = lab_leases(lab, f->lease, LAB_MAX_GUESTS);
	borrowers_get(lab, f->borrower);
	lab_watermarks(lab, &f->w);
	f->watched = lab_free_watched(lab);
	f->events = lab_pressure_events(lab, &f->under);
}

static void info_json(const char *name, const struct labyrinth *lab,
		      const struct lab_census *c, const struct facts *f)
{
	const struct lab_lease_info *l = f->lease;
	unsigned int n = f->leases;

	printf("{\"name\":\"%s\",\"rooms\":%u,\"free\":%u,\"reserved\":%u,"
	       "\"claimed\":%u,\"dirty\":%u,\"leases\":%u,\"pinned\":%s,\"districts\":%u,"
	       "\"watermarks\":{\"min\":%u,"
	       "\"low\":%u,\"high\":%u,\"watched\":%lld},\"pressure\":{\"events\":%llu,"
	       "\"now\":%s},\"corridors\":[", name, c->rooms, c->free, c->reserved, c->claimed,
	       c->dirty, n, lab_pinned(lab) ? "true" : "false",
	       (c->rooms + LAB_DISTRICT_ROOMS - 1) / LAB_DISTRICT_ROOMS, f->w.min, f->w.low,
	       f->w.high, (long long)f->watched, (unsigned long long)f->events,
	       f->under ? "true" : "false");
	for (uint32_t k = 0; k < c->corridors; k++)
		printf("%s{\"corridor\":%u,\"rooms\":%u,\"free\":%u,"
		       "\"fill\":%.4f}", k ? "," : "", k, c->corridor_rooms[k],
		       c->corridor_free[k],
		       fill(c->corridor_rooms[k], c->corridor_free[k]));
	printf("],\"owners\":[");
	for (unsigned int i = 0; i < n; i++)
		lease_json(lab, &l[i], &f->borrower[l[i].guest], i == 0);
	printf("]");
	extents_json(lab);
	peers_json(lab);
	printf("}\n");
}

static void limits_text(const struct labyrinth *lab, uint32_t guest)
{
	struct lab_limits lim;

	lab_limits_get(lab, guest, &lim);
	if (lim.max != LAB_UNLIMITED)
		printf("    max %u rooms (%llu claims cut or refused by it)\n", lim.max,
		       (unsigned long long)lab_tally_limited(lab, guest));
	if (lim.min)
		printf("    min %u rooms kept claimable\n", lim.min);
	if (lim.cached)
		printf("    %u rooms in its own caches, as it last said\n", lim.cached);
	if (lim.asked != LAB_NO_ASK)
		printf("    asked to hold %u rooms (%u MiB), holds %lld, its mailbox aside\n",
		       lim.asked, lim.asked / 256, (long long)lim.held);
	if (lim.unmet)
		printf("    says %u rooms above the ask are in use: it cannot give them back\n",
		       lim.unmet);
}

/* A QEMU guest is named by its QEMU pid and domain; the lease's holder
 * is the server that serves it. */
static void lease_text(const struct lab_lease_info *l, const struct borrower *b)
{
	printf("  guest %u: ", l->guest);
	if (b->qemu_pid > 0)
		printf("QEMU pid %d%s%s, served by ", b->qemu_pid,
		       b->domain[0] ? ", domain " : "", b->domain);
	if (!l->alive)
		printf("dead, ");
	else if (l->pid > 0)
		printf("pid %d alive, ", l->pid);
	else
		printf("alive (pid not visible here), ");
	printf("%u rooms", l->rooms);
	if (b->mailbox)
		printf(" (%u of them in its mailbox%s)", b->mailbox, b->extents > 1 ? "es" : "");
	putchar('\n');
}

static void info_text(const char *name, const struct labyrinth *lab,
		      const struct lab_census *c, const struct facts *f)
{
	const struct lab_lease_info *l = f->lease;
	unsigned int n = f->leases;

	printf("labyrinth %s: %u rooms, %u free (%u dirty), %u reserved, %u claimed%s\n",
	       name, c->rooms, c->free, c->dirty, c->reserved, c->claimed,
	       lab_pinned(lab) ? ", pinned" : "");
	printf("  watermarks min %u, low %u, high %u, on %lld rooms monitors can claim; "
	       "%llu pressure episodes%s\n", f->w.min, f->w.low, f->w.high, (long long)f->watched,
	       (unsigned long long)f->events, f->under ? ", one now" : "");
	for (uint32_t k = 0; k < c->corridors; k++)
		printf("  corridor %u: %u rooms, %u free, fill %.1f %%\n", k,
		       c->corridor_rooms[k], c->corridor_free[k],
		       100.0 * fill(c->corridor_rooms[k], c->corridor_free[k]));
	for (unsigned int i = 0; i < n; i++) {
		lease_text(&l[i], &f->borrower[l[i].guest]);
		limits_text(lab, l[i].guest);
	}
	extents_text(lab);
}

int cmd_info(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 },
	};
	static struct facts f;
	struct labyrinth *lab;
	struct lab_census c;
	const char *name;
	bool json = false;
	int opt, err;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt != OPT_JSON)
			return CLI_EUSAGE;
		json = true;
	}
	name = cli_name(argc, argv);
	if (!name)
		return CLI_EUSAGE;
	err = lab_open(name, &lab);
	if (err)
		return cli_fail("info", name, err);
	lab_census(lab, &c);
	facts_read(lab, &f);
	if (json)
		info_json(name, lab, &c, &f);
	else
		info_text(name, lab, &c, &f);
	lab_detach(lab);
	return CLI_OK;
}
