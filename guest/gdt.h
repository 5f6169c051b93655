/* The GDT shared by all CPUs, and each CPU's TSS (for the IST stacks). */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H

#include "percpu.h"

/* IST slots (1-based, as in the IDT gate). */
#define IST_FATAL 1		/* #DF, NMI, #MC: must not run on a broken stack */

void gdt_init_cpu(struct percpu *p);

#endif
