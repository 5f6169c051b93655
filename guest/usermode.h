/* A one-way trip to user mode (CPL 3), for images that test what the
 * monitor does about a user-mode access: there is no way back (no rsp0 in
 * the TSS, interrupts off), so the code run there must end the VM. */
#ifndef GUEST_USERMODE_H
#define GUEST_USERMODE_H

#include "types.h"

/* Lets user mode reach the 2 MiB page holding va (U set at every level). */
void usermode_open(u64 va);
/* Runs fn(arg) at CPL 3 on the stack below stack_top, interrupts off;
 * fn, the stack and what fn touches must have been opened. */
void usermode_enter(void (*fn)(u64), u64 arg, void *stack_top) __attribute__((noreturn));

#endif
