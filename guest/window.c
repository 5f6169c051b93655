/*
 * The boot page tables (pagetables.S) cover the first 4 GiB through PML4
 * entry 0; the window sits above 4 GiB in the same 512 GiB, so it takes
 * more entries of the same PDPT, each pointing at one of window_pds.
 * Entries are written before the PDPT entry that makes them reachable, and
 * a translation that was not present is never cached, so other CPUs need
 * no shootdown; this CPU reloads CR3 anyway, for the paging-structure caches.
 */
#include "hypercall.h"
#include "printf.h"
#include "window.h"
#include "window_layout.h"

#define GiB (1ull << 30)
#define MiB2 (2ull << 20)

extern u64 boot_pdpt[512];
extern u64 window_pds[WINDOW_PDS][512];

static u64 win_base, win_size;

static void reload_cr3(void)
{
	u64 cr3;

	__asm__ __volatile__("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

int window_install(u64 base, u64 size)
{
	u64 end, first_gib, last_gib;
	u32 pd = 0;

	if (!size || base & (MiB2 - 1) || base < 4 * GiB)
		return LAB_HC_EINVAL;
	end = (base + size + MiB2 - 1) & ~(MiB2 - 1);
	first_gib = base / GiB;
	last_gib = (end - 1) / GiB;
	if (last_gib - first_gib + 1 > WINDOW_PDS) {
		printf("window: 0x%lx bytes at 0x%lx; mapping only the first %u GiB\n",
		       size, base, WINDOW_PDS);
		last_gib = first_gib + WINDOW_PDS - 1;
		end = (last_gib + 1) * GiB;
	}
	if (last_gib >= 512)
		return LAB_HC_EINVAL;
	for (u64 gib = first_gib; gib <= last_gib; gib++, pd++) {
		for (u64 i = 0; i < 512; i++) {
			u64 a = gib * GiB + i * MiB2;
			window_pds[pd][i] = a >= base && a < end ? a | PTE_P | PTE_W | PTE_PS : 0;
		}
		__atomic_store_n(&boot_pdpt[gib], (u64)(uintptr_t)window_pds[pd] | PTE_P | PTE_W,
				 __ATOMIC_RELEASE);
	}
	reload_cr3();
	win_base = base;
	win_size = end - base < size ? end - base : size;
	return 0;
}

bool window_spans(u64 gpa)
{
	return gpa >= win_base && gpa - win_base < win_size;
}

u64 window_pte(u64 va)
{
	u64 pdpte = boot_pdpt[(va >> 30) & 511];

	if ((va >> 39) || !(pdpte & PTE_P))
		return 0;
	/* Both levels must leave U clear for the page to be supervisor-only. */
	return ((const u64 *)(uintptr_t)(pdpte & ~0xfffull))[(va >> 21) & 511] | (pdpte & PTE_U);
}
