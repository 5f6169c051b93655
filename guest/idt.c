/*
 * Only vectors with a handler get a present gate. Any other vector then
 * raises #NP (or #GP) naming it in the error code, which exceptions.c
 * reports, so an unexpected interrupt is loud instead of silent.
 */
#include "exit.h"
#include "idt.h"
#include "layout.h"
#include "percpu.h"

#define GATE_INTERRUPT 0x8e	/* present, DPL 0, 64-bit interrupt gate (IF cleared) */

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __packed;

extern const u8 isr_stubs[];	/* isr.S: 16 bytes per vector */

static struct idt_gate idt[256] __aligned(16);
static trap_handler_t handlers[256];

static void set_gate(u8 vector)
{
	u64 stub = (u64)(uintptr_t)(isr_stubs + 16 * vector);
	struct idt_gate *g = &idt[vector];

	g->offset_lo = stub & 0xffff;
	g->selector = KERNEL_CS;
	g->attr = GATE_INTERRUPT;
	g->offset_mid = (stub >> 16) & 0xffff;
	g->offset_hi = stub >> 32;
}

void idt_set_handler(u8 vector, trap_handler_t fn)
{
	WRITE_ONCE(handlers[vector], fn);
	set_gate(vector);
}

void idt_set_ist(u8 vector, u8 ist)
{
	idt[vector].ist = ist;
}

void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed idtr = {sizeof(idt) - 1, (u64)(uintptr_t)idt};

	__asm__ __volatile__("lidt %0" : : "m"(idtr));
}

void idt_init(void)
{
	exceptions_init();
	idt_load();
}

void trap_dispatch(struct trap_frame *f)
{
	struct percpu *p = this_cpu();
	trap_handler_t fn = READ_ONCE(handlers[f->vector & 0xff]);

	p->irq_depth++;
	if (fn)
		fn(f);
	else
		trap_report_fatal(f, "interrupt on a vector without handler",
				  EXIT_UNEXPECTED_IRQ);
	p->irq_depth--;
}
