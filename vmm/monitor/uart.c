/* Only what a polling driver needs: THR to the output, LSR always "empty",
 * the other registers remembered. No interrupts are raised. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "pio.h"
#include "uart.h"

#define UART_BASE 0x3f8
#define UART_THR 0
#define UART_IIR 2
#define UART_LCR 3
#define UART_LSR 5
#define UART_MSR 6
#define LCR_DLAB 0x80
#define LSR_THR_EMPTY 0x60
#define IIR_NONE 0x01

static struct {
	pthread_mutex_t lock;
	int fd;
	uint8_t regs[8];
	char line[512];
	unsigned len;
} uart = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static void flush_locked(void)
{
	const char *p = uart.line;
	while (uart.len) {
		ssize_t n = write(uart.fd, p, uart.len);
		if (n <= 0)
			break;		/* stdout gone: drop, the guest must not stall */
		p += n;
		uart.len -= (unsigned)n;
	}
	uart.len = 0;
}

void uart_flush(void)
{
	pthread_mutex_lock(&uart.lock);
	flush_locked();
	pthread_mutex_unlock(&uart.lock);
}

/* vCPUs print whole lines each, so output of several CPUs does not interleave mid-line. */
static void transmit(uint8_t c)
{
	pthread_mutex_lock(&uart.lock);
	uart.line[uart.len++] = (char)c;
	if (c == '\n' || uart.len == sizeof(uart.line))
		flush_locked();
	pthread_mutex_unlock(&uart.lock);
}

static void uart_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		    unsigned size, void *opaque)
{
	unsigned reg = port - UART_BASE;
	(void)cpu, (void)opaque, (void)size;

	if (write) {
		if (reg == UART_THR && !(uart.regs[UART_LCR] & LCR_DLAB))
			transmit(data[0]);
		else
			uart.regs[reg] = data[0];
		return;
	}
	switch (reg) {
	case UART_LSR: data[0] = LSR_THR_EMPTY; break;
	case UART_IIR: data[0] = IIR_NONE; break;
	case UART_MSR: data[0] = 0xb0; break;	/* CTS, DSR, DCD */
	case UART_THR: data[0] = (uart.regs[UART_LCR] & LCR_DLAB) ? uart.regs[0] : 0; break;
	default: data[0] = uart.regs[reg]; break;
	}
}

int uart_init(int out_fd)
{
	uart.fd = out_fd;
	return pio_register(UART_BASE, 8, uart_io, NULL);
}
