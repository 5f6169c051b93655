#include <stdarg.h>

#include "exit.h"
#include "printf.h"
#include "x86.h"

void __noreturn guest_exit(u32 status)
{
	irq_disable();
	/* A 32-bit write: the VMM reads the low byte, QEMU the whole value. */
	outl(DEBUG_EXIT_PORT, status);
	/* Without a debug-exit device (some other VMM) the CPU just stops. */
	for (;;)
		__asm__ __volatile__("hlt");
}

void __noreturn panic(const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	printf("PANIC: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	guest_exit(EXIT_PANIC);
}
