/* Reading memory that may not be there, without dying of it. */
#ifndef GUEST_PROBE_H
#define GUEST_PROBE_H

#include "types.h"

struct probe_fault {
	u64 vector, error, cr2;
};

/* Returns 0 and sets *val, or the faulting vector + 1 (details in probe_last). */
u64 probe_read(u64 addr, u64 *val);
extern struct probe_fault probe_last;

#endif
