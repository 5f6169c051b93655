/* The local APIC, in x2APIC mode (MSRs) when CPUID offers it, else xAPIC (MMIO). */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "types.h"

/* Register offsets in xAPIC MMIO terms; x2APIC MSR = 0x800 + offset / 16. */
#define APIC_ID 0x020
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0

#define APIC_LVT_MASKED (1u << 16)
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_TIMER_TSC_DEADLINE (2u << 17)
#define APIC_TIMER_DIV_16 0x3

/* ICR delivery modes and shorthands. */
#define ICR_FIXED 0x000
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_ASSERT 0x4000
#define ICR_ALL_BUT_SELF 0xc0000

void apic_init_cpu(void);
bool apic_is_x2apic(void);
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 val);
u32 apic_id(void);
void apic_eoi(void);
void apic_send_icr(u32 dest, u32 icr);
void apic_send_ipi(u32 dest_apic_id, u8 vector);

#endif
