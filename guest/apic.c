/*
 * The mode is chosen once, on the boot CPU, and every AP follows it: mixed
 * modes would make destination IDs mean different things on each side.
 */
#include "apic.h"
#include "idt.h"
#include "layout.h"
#include "percpu.h"
#include "x86.h"

#define XAPIC_BASE 0xfee00000ul
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_SVR_ENABLE 0x100
#define ICR_BUSY (1u << 12)
#define CPUID1_ECX_X2APIC (1u << 21)

static int mode;		/* 0: not chosen yet, 1: xAPIC, 2: x2APIC */

bool apic_is_x2apic(void)
{
	return mode == 2;
}

u32 apic_read(u32 reg)
{
	if (apic_is_x2apic())
		return (u32)rdmsr(0x800 + (reg >> 4));
	return *(volatile u32 *)(XAPIC_BASE + reg);
}

void apic_write(u32 reg, u32 val)
{
	if (apic_is_x2apic())
		wrmsr(0x800 + (reg >> 4), val);
	else
		*(volatile u32 *)(XAPIC_BASE + reg) = val;
}

u32 apic_id(void)
{
	u32 id = apic_read(APIC_ID);

	return apic_is_x2apic() ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* x2APIC takes the whole ICR in one write; xAPIC needs the high half first. */
void apic_send_icr(u32 dest, u32 icr)
{
	if (apic_is_x2apic()) {
		wrmsr(0x800 + (APIC_ICR_LO >> 4), ((u64)dest << 32) | icr);
		return;
	}
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, icr);
	while (apic_read(APIC_ICR_LO) & ICR_BUSY)
		cpu_relax();
}

void apic_send_ipi(u32 dest_apic_id, u8 vector)
{
	apic_send_icr(dest_apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

static void choose_mode(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	mode = (c & CPUID1_ECX_X2APIC) ? 2 : 1;
}

/* Nothing to acknowledge: a spurious interrupt takes no EOI. */
static void spurious_handler(struct trap_frame *f)
{
	(void)f;
}

void apic_init_cpu(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);

	if (!mode) {
		choose_mode();
		idt_set_handler(VEC_SPURIOUS, spurious_handler);
	}
	base |= APIC_BASE_ENABLE;
	if (apic_is_x2apic())
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	this_cpu()->apic_id = apic_id();
}
