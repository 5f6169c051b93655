/* The room window in the guest's own page tables: identity-mapped,
 * supervisor-only (no U bit: "privileged-only"), 2 MiB pages.
 * Mapping a window address does not back it: the monitor backs only the
 * rooms this guest holds, and stops the guest (status 74) on any other. */
#ifndef GUEST_WINDOW_H
#define GUEST_WINDOW_H

#include "types.h"

#define PTE_P 0x001ull
#define PTE_W 0x002ull
#define PTE_U 0x004ull
#define PTE_PS 0x080ull

/* Returns 0, or LAB_HC_EINVAL for a base that is not 2 MiB aligned or a
 * window beyond what the page tables can reach (nothing mapped then). */
int window_install(u64 base, u64 size);
bool window_spans(u64 gpa);
/* A room-aligned window address. */
static inline bool window_spans_room(u64 gpa)
{
	return window_spans(gpa) && !(gpa & 0xfff);
}
/* The leaf entry that maps @va, 0 if none: for tests of the U bit. */
u64 window_pte(u64 va);

#endif
