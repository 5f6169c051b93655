/* Assembly only: the data segment state every CPU sets on reaching long
 * mode (BSP in boot.S, APs in trampoline.S). Clobbers %eax. */
#ifndef GUEST_SEGMENTS_H
#define GUEST_SEGMENTS_H

#include "layout.h"

.macro load_kernel_data_segments
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax		/* fs/gs bases come from MSRs, not selectors */
	mov %eax, %fs
	mov %eax, %gs
.endm

#endif
