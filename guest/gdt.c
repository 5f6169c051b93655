/*
 * One GDT for every CPU, with a TSS descriptor per CPU (a TSS descriptor is
 * marked busy by ltr, so CPUs cannot share one). The boot code and the AP
 * trampoline load this same table before the far jump to 64-bit code, so
 * the code and data descriptors are static.
 */
#include "gdt.h"

#define TSS_AVAILABLE 0x89ull	/* present, 64-bit TSS, available */

u64 gdt_table[GDT_ENTRIES] __aligned(16) = {
	[0] = 0,
	[KERNEL_CS / 8] = 0x00af9a000000ffffull,	/* 64-bit code, DPL 0 */
	[KERNEL_DS / 8] = 0x00cf92000000ffffull,	/* data, DPL 0 */
	[USER_CS / 8] = 0x00affa000000ffffull,		/* 64-bit code, DPL 3 */
	[USER_DS / 8] = 0x00cff2000000ffffull,		/* data, DPL 3 */
};

static void set_tss_descriptor(u32 cpu, struct tss *tss)
{
	u64 base = (u64)(uintptr_t)tss;
	u64 limit = sizeof(*tss) - 1;
	u32 slot = (GDT_TSS_BASE / 8) + 2 * cpu;

	gdt_table[slot] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			  (TSS_AVAILABLE << 40) | (((limit >> 16) & 0xf) << 48) |
			  (((base >> 24) & 0xff) << 56);
	gdt_table[slot + 1] = base >> 32;
}

void gdt_init_cpu(struct percpu *p)
{
	struct {
		u16 limit;
		u64 base;
	} __packed gdtr = {sizeof(gdt_table) - 1, (u64)(uintptr_t)gdt_table};
	u16 tss_sel = GDT_TSS_BASE + 16 * p->cpu;

	p->tss.ist[IST_FATAL - 1] = ist_stack_top(p->cpu);
	p->tss.iomap_base = sizeof(p->tss);	/* no I/O bitmap */
	set_tss_descriptor(p->cpu, &p->tss);
	__asm__ __volatile__("lgdt %0" : : "m"(gdtr));
	__asm__ __volatile__("ltr %0" : : "r"(tss_sel));
}
