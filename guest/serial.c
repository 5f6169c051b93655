/*
 * Output only, no initialisation: QEMU's and our VMM's UARTs accept bytes
 * at reset, and every register write costs a VM exit. The transmitter is
 * polled with a bound so that a UART that never reports "empty" costs
 * one bounded wait and is then written blindly.
 */
#include "serial.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20
#define POLL_LIMIT 1000

static bool lsr_unreliable;

static void wait_transmitter(void)
{
	if (READ_ONCE(lsr_unreliable))
		return;
	for (int i = 0; i < POLL_LIMIT; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			return;
	WRITE_ONCE(lsr_unreliable, true);
}

void serial_putc(char c)
{
	wait_transmitter();
	outb(COM1 + UART_THR, (u8)c);
}

void serial_write(const char *s, size_t n)
{
	while (n--)
		serial_putc(*s++);
}
