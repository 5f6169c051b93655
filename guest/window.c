/*
 * The boot page tables (pagetables.S) cover the first 4 GiB through PML4
 * entry 0; windows sit above 4 GiB in the same 512 GiB, so they take more
 * entries of the same PDPT, GiB g pointing at window_pds[g - 4].  Several
 * windows may be installed (one per labyrinth device of a QEMU guest);
 * each writes only its own entries.
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

#define WINDOWS 9		/* the port's, or up to 8 devices' */
#define FIRST_GIB 4

static struct { u64 base, size; } wins[WINDOWS];
static u32 nwins;

static void reload_cr3(void)
{
	u64 cr3;

	__asm__ __volatile__("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

/* Entries of [base, end) in GiB @gib's directory, then the directory. */
static void map_gib(u64 gib, u64 base, u64 end)
{
	u64 *pd = window_pds[gib - FIRST_GIB];

	for (u64 i = 0; i < 512; i++) {
		u64 a = gib * GiB + i * MiB2;
		if (a >= base && a < end)
			pd[i] = a | PTE_P | PTE_W | PTE_PS;
	}
	__atomic_store_n(&boot_pdpt[gib], (u64)(uintptr_t)pd | PTE_P | PTE_W, __ATOMIC_RELEASE);
}

int window_install(u64 base, u64 size)
{
	u64 end, first_gib, last_gib;

	if (!size || base & (MiB2 - 1) || base < FIRST_GIB * GiB || nwins == WINDOWS)
		return LAB_HC_EINVAL;
	end = (base + size + MiB2 - 1) & ~(MiB2 - 1);
	first_gib = base / GiB;
	last_gib = (end - 1) / GiB;
	if (last_gib >= FIRST_GIB + WINDOW_PDS) {
		printf("window: 0x%lx bytes at 0x%lx; mapping only up to %u GiB\n",
		       size, base, FIRST_GIB + WINDOW_PDS);
		if (first_gib >= FIRST_GIB + WINDOW_PDS)
			return LAB_HC_EINVAL;
		last_gib = FIRST_GIB + WINDOW_PDS - 1;
		end = (last_gib + 1) * GiB;
	}
	for (u64 gib = first_gib; gib <= last_gib; gib++)
		map_gib(gib, base, end);
	reload_cr3();
	wins[nwins].base = base;
	wins[nwins].size = end - base < size ? end - base : size;
	nwins++;
	return 0;
}

bool window_spans(u64 gpa)
{
	for (u32 i = 0; i < nwins; i++)
		if (gpa >= wins[i].base && gpa - wins[i].base < wins[i].size)
			return true;
	return false;
}

u64 window_pte(u64 va)
{
	u64 pdpte = boot_pdpt[(va >> 30) & 511];

	if ((va >> 39) || !(pdpte & PTE_P))
		return 0;
	/* Both levels must leave U clear for the page to be supervisor-only. */
	return ((const u64 *)(uintptr_t)(pdpte & ~0xfffull))[(va >> 21) & 511] | (pdpte & PTE_U);
}
