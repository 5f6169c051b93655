/*
 * The identity map every CPU runs on: the first 4 GiB in 2 MiB pages, built
 * by the assembler so the 32-bit entry and the AP trampoline only load CR3.
 * The top 20 MiB below 4 GiB (IOAPIC, LAPIC, firmware) are uncached.
 * The room window above 4 GiB is mapped at run time (window.c) into
 * window_pds, which are NOBITS like the stacks: window.c writes every entry
 * of each one it uses, so nothing needs zeroing at boot.
 */
#include "window_layout.h"

#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS 0x080
#define UNCACHED_FROM 2038	/* 0xfec00000 >> 21 */

	.section .data.pagetables, "aw"
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad boot_pdpt + PTE_P + PTE_W
	.fill 511, 8, 0

	.globl boot_pdpt
boot_pdpt:
	.quad boot_pd + 0x0000 + PTE_P + PTE_W
	.quad boot_pd + 0x1000 + PTE_P + PTE_W
	.quad boot_pd + 0x2000 + PTE_P + PTE_W
	.quad boot_pd + 0x3000 + PTE_P + PTE_W
	.fill 508, 8, 0

	.globl boot_pd
boot_pd:
	.set i, 0
	.rept 2048
	.if i >= UNCACHED_FROM
	.quad (i << 21) + PTE_P + PTE_W + PTE_PS + PTE_PWT + PTE_PCD
	.else
	.quad (i << 21) + PTE_P + PTE_W + PTE_PS
	.endif
	.set i, i + 1
	.endr

	.section .kstacks, "aw", @nobits
	.balign 4096
	.globl window_pds
window_pds:
	.skip WINDOW_PDS * 4096
