/*
 * Entry points. Both 32-bit protocols (PVH and Multiboot v1) arrive in flat
 * protected mode with paging off; this host emulates non-64-bit code one
 * instruction at a time and lacks a 32-bit iret, so the 32-bit path only
 * switches to long mode, using page tables and a GDT fixed at link time.
 *
 *   PVH:       the ELF note names pvh_entry32; %ebx = struct hvm_start_info.
 *   Multiboot: the header's entry_addr is mb_entry32; %eax = 0x2BADB002,
 *              %ebx = struct multiboot_info.
 *   Long mode: e_entry is start64, for a monitor that enters in 64-bit mode
 *              with the image identity-mapped; %rdi = struct hvm_start_info.
 */
#include "layout.h"
#include "segments.h"

#define MB_MAGIC 0x1BADB002

#define CR0_PE 0x00000001
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define EFER_LME 0x100

	/* QEMU refuses an ELF64 Multiboot image unless it carries the
	 * a.out kludge addresses: it then loads [load_addr, load_end_addr)
	 * straight from the file, which the linker script keeps contiguous.
	 * The flags (and so the checksum) come from the link: an image made
	 * into an ELF32 drops the kludge bit and is loaded as an ELF. */
	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long __mb_flags
	.long __mb_checksum
	.long mb_header
	.long __image_start
	.long __load_end
	.long __image_end
	.long mb_entry32

	/* Xen's PVH note; QEMU reads the descriptor as a pointer-sized word. */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4			/* namesz */
	.long 8			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_entry32
	.balign 4

	.section .boot.text, "ax"
	.code32
	.globl pvh_entry32
pvh_entry32:
	mov $BOOT_PROTO_PVH, %edi
	jmp enter_long_mode

	.globl mb_entry32
mb_entry32:
	mov $BOOT_PROTO_MULTIBOOT, %edi

/* %edi = protocol, %ebx = boot info: both survive into boot_main's arguments. */
enter_long_mode:
	mov %ebx, %esi
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $0xC0000080, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PE | CR0_WP | CR0_PG), %eax
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $KERNEL_CS, $long_entry

	.code64
	/* Direct 64-bit entry: adopt our own page tables and GDT at once, and
	 * reload CS, since the monitor's selectors need not match ours. */
	.globl start64
start64:
	cli
	mov %edi, %esi
	mov $BOOT_PROTO_PVH, %edi
	mov $boot_pml4, %eax
	mov %rax, %cr3
	lgdt boot_gdtr
	pushq $KERNEL_CS
	pushq $long_entry
	lretq

long_entry:
	load_kernel_data_segments
	mov %edi, %r12d
	mov %esi, %r13d
	mov $(cpu_stacks + KSTACK_SIZE), %esp
	/* The loaders zero .bss too, but this must not depend on them. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $3, %ecx
	xor %eax, %eax
	cld
	rep stosq
	mov %r12d, %edi
	mov %r13d, %esi
	call boot_main
1:	cli
	hlt
	jmp 1b

	.section .data
	.balign 8
	/* lgdt in 32-bit mode reads a 32-bit base: the GDT lives below 4 GiB. */
	.globl boot_gdtr
boot_gdtr:
	.word GDT_ENTRIES * 8 - 1
	.quad gdt_table

	/* Stacks are NOBITS and outside .bss: nothing in the guest zeroes them. */
	.section .kstacks, "aw", @nobits
	.balign 4096
	.globl cpu_stacks
cpu_stacks:
	.skip MAX_CPUS * KSTACK_SIZE
	.globl ist_stacks
ist_stacks:
	.skip MAX_CPUS * ISTACK_SIZE
