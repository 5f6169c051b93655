// SPDX-License-Identifier: MIT
/*
 * limit.c - `labyrinth limit NAME GUEST [--max N|none] [--min M]
 * [--ask N|none]`: changes a running guest's limits (labyrinth.h, "Fair
 * sharing"); the next claim sees them.  --ask is no limit but the size the
 * host asks the guest to hold (lab_ask_set): a QEMU guest's server passes
 * it on, and the guest's elastic RAM grows or shrinks toward it.  What is
 * not given stays as it is.  Without options it only shows them.
 */
#include <stdio.h>
#include <string.h>

#include "borrower.h"
#include "cli.h"
#include "labyrinth_host.h"

static int limit_value(const char *opt, const char *s, bool none_ok, uint32_t *out)
{
	if (none_ok && !strcmp(s, "none")) {
		*out = LAB_UNLIMITED;
		return 0;
	}
	return cli_number(opt, s, none_ok ? 1 : 0, LAB_MAX_ROOMS, out);
}

/* 0 rooms is an ask (give all of it back); "none" withdraws it. */
static int ask_value(const char *s, uint32_t *out)
{
	if (!strcmp(s, "none")) {
		*out = LAB_NO_ASK;
		return 0;
	}
	return cli_number("--ask", s, 0, LAB_MAX_ROOMS, out);
}

static const char *limit_error(int err)
{
	switch (err) {
	case LAB_EINVAL: return "--min is above --max";
	case LAB_ESRCH: return "no guest holds that lease";
	case LAB_ENOSPC: return "the guarantees together would pass the rooms less the reserve "
				"(a QEMU guest's: its extent's rooms)";
	default: return lab_strerror(err);
	}
}

/* A dead lease not reaped yet is taken, but no guest holds it: a min set
 * there would keep rooms for nobody until the reaper came. */
static bool lease_alive(const struct labyrinth *lab, uint32_t guest)
{
	struct lab_lease_info l[LAB_MAX_GUESTS];
	unsigned int n = lab_leases(lab, l, LAB_MAX_GUESTS);

	for (unsigned int i = 0; i < n; i++)
		if (l[i].guest == guest)
			return l[i].alive;
	return false;
}

static const struct borrower *borrower_of(const struct labyrinth *lab, uint32_t guest)
{
	static struct borrower b[LAB_MAX_GUESTS];

	borrowers_get(lab, b);
	return &b[guest];
}

/* Its mailbox rooms, by the one rule (borrower.h): counted in what it
 * holds, outside what its max bounds. */
static uint32_t mailbox_of(const struct labyrinth *lab, uint32_t guest)
{
	return borrower_of(lab, guest)->mailbox;
}

/* Only `serve` passes an ask on (to a QEMU guest's device): one set for
 * a monitor's guest is kept and shown, and heard by nobody; said. */
static void ask_unheard_warn(const struct labyrinth *lab, const char *name, uint32_t guest)
{
	if (borrower_of(lab, guest)->extents)
		return;
	fprintf(stderr, "labyrinth: limit: '%s' guest %u is no QEMU guest of `serve`: the ask "
		"is kept, but nothing passes it on\n", name, guest);
}

static void mailbox_print(FILE *f, uint32_t mailbox)
{
	if (mailbox)
		fprintf(f, " (%u in its mailbox, outside its max)", mailbox);
}

static void limit_show(const struct labyrinth *lab, const char *name, uint32_t guest,
		       uint32_t mailbox)
{
	struct lab_limits l;

	lab_limits_get(lab, guest, &l);
	printf("labyrinth %s guest %u: max ", name, guest);
	if (l.max == LAB_UNLIMITED)
		printf("none");
	else
		printf("%u", l.max);
	printf(", min %u, holds %lld", l.min, (long long)l.held + mailbox);
	mailbox_print(stdout, mailbox);
	printf(", refused by its max %llu", (unsigned long long)lab_tally_limited(lab, guest));
	if (l.asked != LAB_NO_ASK)
		printf(", asked to hold %u", l.asked);
	printf("\n");
}

/* A max below what the guest holds takes nothing away (its rooms are in
 * use): the operator is told so, and what happens next. */
static void over_max_warn(const struct labyrinth *lab, const char *name, uint32_t guest,
			  uint32_t mailbox)
{
	struct lab_limits l;

	lab_limits_get(lab, guest, &l);
	if (l.max == LAB_UNLIMITED || l.held <= (int64_t)l.max)
		return;
	fprintf(stderr, "labyrinth: limit: '%s' guest %u holds %lld rooms", name, guest,
		(long long)l.held + mailbox);
	mailbox_print(stderr, mailbox);
	fprintf(stderr, ", above its new max %u: none is taken away, and its claims are "
		"refused until its releases bring it under %u\n", l.max, l.max);
}

int cmd_limit(int argc, char **argv)
{
	enum { OPT_MAX = 256, OPT_MIN, OPT_ASK };
	static const struct option opts[] = {
		{ "max", required_argument, NULL, OPT_MAX },
		{ "min", required_argument, NULL, OPT_MIN },
		{ "ask", required_argument, NULL, OPT_ASK },
		{ 0 },
	};
	uint32_t max = 0, min = 0, ask = LAB_NO_ASK, guest, mailbox;
	bool set_max = false, set_min = false, set_ask = false;
	struct labyrinth *lab;
	struct lab_limits now;
	int opt, err;

	while ((opt = cli_option(argc, argv, opts)) != -1) {
		if (opt == OPT_MAX && !limit_value("--max", optarg, true, &max))
			set_max = true;
		else if (opt == OPT_MIN && !limit_value("--min", optarg, false, &min))
			set_min = true;
		else if (opt == OPT_ASK && !ask_value(optarg, &ask))
			set_ask = true;
		else
			return CLI_EUSAGE;
	}
	if (optind + 2 != argc)
		return cli_usage("limit: wants NAME GUEST");
	if (cli_number("GUEST", argv[optind + 1], 0, LAB_MAX_GUESTS - 1, &guest))
		return CLI_EUSAGE;
	err = lab_open(argv[optind], &lab);
	if (err)
		return cli_fail("limit", argv[optind], err);
	lab_limits_get(lab, guest, &now);
	err = lease_alive(lab, guest) ? 0 : LAB_ESRCH;
	if (!err && (set_max || set_min))
		err = lab_limits_set(lab, guest, set_max ? max : now.max, set_min ? min : now.min);
	if (!err && set_ask)
		err = lab_ask_set(lab, guest, ask);
	if (err) {
		fprintf(stderr, "labyrinth: limit: '%s' guest %u: %s\n", argv[optind], guest,
			limit_error(err));
		lab_detach(lab);
		return err == LAB_EINVAL ? CLI_EUSAGE : err == LAB_ENOSPC ? CLI_ENOSPACE : CLI_ESYS;
	}
	mailbox = mailbox_of(lab, guest);
	if (set_max)
		over_max_warn(lab, argv[optind], guest, mailbox);
	if (set_ask && ask != LAB_NO_ASK)
		ask_unheard_warn(lab, argv[optind], guest);
	limit_show(lab, argv[optind], guest, mailbox);
	lab_detach(lab);
	return CLI_OK;
}
