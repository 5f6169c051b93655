/* Ending the VM through QEMU's isa-debug-exit device at port 0xf4.
 * ./vmm exits with the value written; QEMU with (value << 1) | 1.
 * The VMM owns statuses 64 and up, so every guest status is below 64. */
#ifndef GUEST_EXIT_H
#define GUEST_EXIT_H

#include "types.h"

#define DEBUG_EXIT_PORT 0xf4

enum guest_exit_status {
	EXIT_OK = 0,
	EXIT_FAILURE = 1,		/* a test or check failed */
	EXIT_PANIC = 16,		/* panic(): a kernel invariant broke */
	EXIT_BOOT = 17,			/* unknown boot protocol or no memory map */
	EXIT_SMP = 18,			/* AP bring-up failed */
	EXIT_UNEXPECTED_IRQ = 19,	/* interrupt on a vector nobody registered */
	EXIT_EXCEPTION_BASE = 32,	/* CPU exception v exits with 32 + v (32..63) */
};

void __noreturn guest_exit(u32 status);
void __noreturn __printf(1, 2) panic(const char *fmt, ...);

#endif
