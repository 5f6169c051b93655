#include "usermode.h"

#include "layout.h"
#include "window.h"

extern u64 boot_pml4[512];

void usermode_open(u64 va)
{
	u64 *pml4e = &boot_pml4[(va >> 39) & 511];
	u64 *pdpt = (u64 *)(uintptr_t)(*pml4e & ~0xfffull);
	u64 *pdpte = &pdpt[(va >> 30) & 511];
	u64 *pd = (u64 *)(uintptr_t)(*pdpte & ~0xfffull);

	*pml4e |= PTE_U;
	*pdpte |= PTE_U;
	pd[(va >> 21) & 511] |= PTE_U;
	__asm__ __volatile__("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

void usermode_enter(void (*fn)(u64), u64 arg, void *stack_top)
{
	__asm__ __volatile__("pushq %[ss]\n\t"
			     "pushq %[sp]\n\t"
			     "pushq $0x2\n\t"	/* RFLAGS: IF clear */
			     "pushq %[cs]\n\t"
			     "pushq %[ip]\n\t"
			     "iretq"
			     : : [ss] "i"(USER_DS), [sp] "r"(stack_top), [cs] "i"(USER_CS),
			       [ip] "r"(fn), "D"(arg) : "memory");
	__builtin_unreachable();
}
