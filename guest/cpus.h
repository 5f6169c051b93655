/* Which CPUs exist: from the ACPI MADT, an MP table, or the command line. */
#ifndef GUEST_CPUS_H
#define GUEST_CPUS_H

#include "layout.h"
#include "types.h"

struct cpu_census {
	u32 count;		/* CPUs including the boot CPU; 0 = unknown */
	bool ids_known;		/* apic_ids[] is filled (MADT, MP table) */
	u32 apic_ids[MAX_CPUS];
	const char *source;	/* "madt", "mptable", "cmdline" or "none" */
};

void cpus_discover(struct cpu_census *c);

#endif
