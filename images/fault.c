/*
 * Touches an unmapped address (above the 4 GiB identity map): the page
 * fault handler reports vector 14 and CR2, and the VM exits with
 * EXIT_EXCEPTION_BASE + 14 = 46.
 */
#include "kernel.h"
#include "printf.h"

#define UNMAPPED 0x100000000ull

int main(void)
{
	printf("fault: reading 0x%lx\n", (unsigned long)UNMAPPED);
	return (int)*(volatile unsigned long *)UNMAPPED;
}
