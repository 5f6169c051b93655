/* QEMU's isa-debug-exit at port 0xf4: a guest write of V ends the VM. By
 * default V's low byte, unshifted, is ./vmm's status; with QEMU's convention
 * the status is (V << 1) | 1, so harnesses written for QEMU work unchanged. */
#ifndef VMM_DEBUG_EXIT_H
#define VMM_DEBUG_EXIT_H

#include <stdbool.h>

struct vm;
int debug_exit_init(struct vm *vm, bool qemu_compat);

#endif
