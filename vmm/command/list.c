// SPDX-License-Identifier: MIT
/*
 * list.c - `labyrinth list [--json]`: the labyrinths that exist, each
 * with its rooms, free, claimed and leases, read as `info` reads them
 * (lab_open: no lease).  A file this user may not use, or that is no
 * valid labyrinth, is listed with the reason instead of its figures, so
 * that what is under /dev/shm is all accounted for.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "labyrinth_host.h"

struct listing {
	bool json;
	unsigned int shown;
};

struct figures {
	struct lab_census census;
	unsigned int leases;
};

/* A labyrinth whose file is cut short while we read it (a test, a
 * careless operator) is one entry of the list, "not a labyrinth", not
 * the end of the listing: its SIGBUS comes back here. */
static sigjmp_buf cut_short;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code == BUS_ADRERR)
		siglongjmp(cut_short, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int figures_read(const char *name, struct figures *f)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	struct labyrinth *volatile lab = NULL;
	struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO };
	int err;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(cut_short, 1)) {
		if (lab)
			lab_detach(lab);
		return LAB_EPROTO;
	}
	err = lab_open(name, (struct labyrinth **)&lab);
	if (err)
		return err;
	lab_census(lab, &f->census);
	f->leases = lab_leases(lab, l, LAB_MAX_GUESTS);
	lab_detach(lab);
	return 0;
}

static void entry_json(const char *name, int err, const struct figures *f, bool first)
{
	printf("%s{\"name\":\"%s\",", first ? "" : ",", name);
	if (err)
		printf("\"error\":\"%s\"}", lab_strerror(err));
	else
		printf("\"rooms\":%u,\"free\":%u,\"claimed\":%u,\"leases\":%u}",
		       f->census.rooms, f->census.free, f->census.claimed, f->leases);
}

static void entry_text(const char *name, int err, const struct figures *f)
{
	if (err)
		printf("%-20s (%s)\n", name, lab_strerror(err));
	else
		printf("%-20s %10u %10u %10u %6u\n", name, f->census.rooms,
		       f->census.free, f->census.claimed, f->leases);
}

static void entry(const char *name, void *arg)
{
	struct listing *ls = arg;
	struct figures f;
	int err;

	err = figures_read(name, &f);

	if (ls->json)
		entry_json(name, err, &f, !ls->shown);
	else
		entry_text(name, err, &f);
	ls->shown++;
}

int cmd_list(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 },
	};
	struct listing ls = { 0 };
	int opt, n;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt != OPT_JSON)
			return CLI_EUSAGE;
		ls.json = true;
	}
	if (optind < argc)
		return cli_usage("list: unexpected '%s'", argv[optind]);
	if (ls.json)
		printf("{\"labyrinths\":[");
	else
		printf("%-20s %10s %10s %10s %6s\n", "NAME", "ROOMS", "FREE", "CLAIMED", "LEASES");
	n = lab_names(entry, &ls);
	if (ls.json)
		printf("]}\n");
	if (n < 0) {
		cli_error("list: cannot read /dev/shm: %s", lab_strerror(n));
		return CLI_ESYS;
	}
	return CLI_OK;
}
