/* Never exits, never halts: only the VMM's --timeout can end it. */
#include "kernel.h"

int main(void)
{
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}
