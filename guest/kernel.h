/* What an image provides and what the kernel gives it. */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include "types.h"

/* Each image defines main(); its return value is the VM's exit status. */
int main(void);

#endif
