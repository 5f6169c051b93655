/* QEMU's isa-debug-exit at port 0xf4: a guest write ends the VM and the
 * value written (its low byte, unshifted, unlike QEMU) is ./vmm's status. */
#ifndef VMM_DEBUG_EXIT_H
#define VMM_DEBUG_EXIT_H

struct vm;
int debug_exit_init(struct vm *vm);

#endif
