/*
 * Application processors start in real mode at AP_TRAMPOLINE_PHYS (the SIPI
 * vector page); smp.c copies [ap_trampoline_start, ap_trampoline_end) there.
 * Real mode is emulated here instruction by instruction, so the trampoline
 * goes to long mode directly: it loads the kernel GDT and page tables (both
 * below 4 GiB), sets PAE, LME and then PE+PG together, and far-jumps to a
 * 64-bit code segment. No stop in 32-bit mode, no iret.
 */
#include "layout.h"
#include "segments.h"

	.section .rodata
	.code16
	.globl ap_trampoline_start
ap_trampoline_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl ap_gdtr - ap_trampoline_start
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $0xC0000080, %ecx
	rdmsr
	or $0x100, %eax			/* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax		/* PG | WP | PE */
	mov %eax, %cr0
	ljmpl $KERNEL_CS, $ap_entry64

	.balign 8
ap_gdtr:
	.word GDT_ENTRIES * 8 - 1
	.long gdt_table
	.globl ap_trampoline_end
ap_trampoline_end:

	.text
	.code64
	/* Each AP takes the next CPU number; its stack is cpu_stacks[number]. */
ap_entry64:
	load_kernel_data_segments
	mov $1, %eax
	lock xadd %eax, ap_next_cpu
	cmp $MAX_CPUS, %eax
	jae ap_park
	mov %eax, %edi
	lea 1(%rax), %eax
	imul $KSTACK_SIZE, %eax
	add $cpu_stacks, %eax
	mov %eax, %esp
	call ap_main
ap_park:
	/* More CPUs than MAX_CPUS: this one stays out of the way for good. */
	cli
	hlt
	jmp ap_park
