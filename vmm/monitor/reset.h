/* The three ways a PC kernel resets the machine: System Control Port A
 * (0x92 bit 0), the Reset Control Register (0xcf9 bit 2) and the keyboard
 * controller's pulse-reset command (0x64 <- 0xfe). Each ends the VM with
 * status 77 and one line on stderr naming the path. */
#ifndef VMM_RESET_H
#define VMM_RESET_H

struct vm;
int reset_init(struct vm *vm);

#endif
