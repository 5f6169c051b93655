/* Constants shared by the guest's assembly and C: limits, selectors,
 * vectors and fixed addresses. Keep this file free of C declarations. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

/* The VMM offers 1..64 vCPUs. */
#define MAX_CPUS 64

/* Per-CPU stacks are never zeroed by the guest (emulated stores are slow). */
#define KSTACK_SIZE 0x4000
#define ISTACK_SIZE 0x1000

/* GDT: null, kernel code, kernel data, one 16-byte TSS descriptor per CPU,
 * then user code and data (RPL 3 in the selectors). */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define GDT_TSS_BASE 0x18
#define GDT_USER_BASE (GDT_TSS_BASE + 16 * MAX_CPUS)
#define USER_CS (GDT_USER_BASE + 3)
#define USER_DS (GDT_USER_BASE + 8 + 3)
#define GDT_ENTRIES (3 + 2 * MAX_CPUS + 2)

/* How the 64-bit code learns which protocol entered it (%edi to boot_main). */
#define BOOT_PROTO_PVH 1
#define BOOT_PROTO_MULTIBOOT 2

/* Interrupt vectors above the 32 exceptions. */
#define VEC_TIMER 0x20
#define VEC_CALL 0x21		/* remote function call IPI */
#define VEC_PING 0x22		/* IPI that only counts */
#define VEC_IVSHMEM 0x30	/* ivshmem MSI-X reply (the mailbox is polled; it only counts) */
#define VEC_SPURIOUS 0xff

/* SIPI vector page: the AP trampoline is copied here (below 1 MiB, 4 KiB aligned). */
#define AP_TRAMPOLINE_PHYS 0x8000

#endif
