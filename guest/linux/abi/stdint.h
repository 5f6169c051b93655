/* The ABI headers of include/ are shared with the host and name the C
 * library's fixed-width types; in the kernel those come from here. */
#ifndef LABYRINTH_KERNEL_STDINT_H
#define LABYRINTH_KERNEL_STDINT_H
#include <linux/types.h>
#endif
