/* The IDT shared by all CPUs and the table of C handlers behind it. */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include "types.h"

/* What isr_common (isr.S) leaves on the stack; the order is the push order reversed. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

typedef void (*trap_handler_t)(struct trap_frame *f);

void idt_init(void);
void idt_load(void);
void idt_set_handler(u8 vector, trap_handler_t fn);
void idt_set_ist(u8 vector, u8 ist);

void trap_dispatch(struct trap_frame *f);

/* exceptions.c */
void exceptions_init(void);
void __noreturn trap_report_fatal(struct trap_frame *f, const char *why, u32 status);

#endif
