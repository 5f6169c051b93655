/* COM1 as a 16550A: THR to the output, LSR always "empty" (bytes leave at
 * once), no input. The transmitter-empty interrupt is raised on IRQ 4 when
 * the guest asks for it (IER, with OUT2 set as a PC gates it): Linux's
 * tty layer waits for it before it writes more, its console does not. */
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uart.h"
#include "vm.h"

#define UART_BASE 0x3f8
#define UART_IRQ 4
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2		/* reads; writes are FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define LCR_DLAB 0x80
#define LSR_THR_EMPTY 0x60
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_FIFOS 0xc0
#define FCR_FIFO_ENABLE 0x01
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

static struct {
	pthread_mutex_t lock;
	int fd;
	uint8_t regs[8];
	uint8_t dll, dlm, fcr;
	bool thri_pending;	/* a transmitter-empty interrupt not yet taken */
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

/* Edge-triggered, as the MADT leaves ISA IRQs. */
static void raise_irq(struct vcpu *cpu)
{
	struct kvm_irq_level l = {.irq = UART_IRQ, .level = 1};

	ioctl(cpu->vm->fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	ioctl(cpu->vm->fd, KVM_IRQ_LINE, &l);
}

/* The transmitter is empty at once: with THRI enabled, that is an
 * interrupt every time the guest enables it or writes a byte. */
static bool thr_empty_locked(void)
{
	uart.thri_pending = uart.regs[UART_IER] & IER_THRI;
	return uart.thri_pending && (uart.regs[UART_MCR] & MCR_OUT2);
}

static void uart_write(struct vcpu *cpu, unsigned reg, uint8_t v)
{
	bool dlab = uart.regs[UART_LCR] & LCR_DLAB, irq = false;

	if (reg == UART_THR && !dlab) {
		transmit(v);
		pthread_mutex_lock(&uart.lock);
		irq = thr_empty_locked();
		pthread_mutex_unlock(&uart.lock);
	} else if (reg == UART_THR) {
		uart.dll = v;
	} else if (reg == UART_IER && dlab) {
		uart.dlm = v;
	} else if (reg == UART_IIR) {
		uart.fcr = v;
	} else {
		pthread_mutex_lock(&uart.lock);
		uart.regs[reg] = reg == UART_IER ? v & 0x0f : v;
		irq = (reg == UART_IER || reg == UART_MCR) && thr_empty_locked();
		pthread_mutex_unlock(&uart.lock);
	}
	if (irq)
		raise_irq(cpu);
}

/* Reading IIR takes the transmitter-empty interrupt, as on the chip. */
static uint8_t uart_iir(void)
{
	uint8_t fifos = (uart.fcr & FCR_FIFO_ENABLE) ? IIR_FIFOS : 0, id = IIR_NONE;

	pthread_mutex_lock(&uart.lock);
	if (uart.thri_pending && (uart.regs[UART_IER] & IER_THRI)) {
		id = IIR_THRI;
		uart.thri_pending = false;
	}
	pthread_mutex_unlock(&uart.lock);
	return fifos | id;
}

/* Loopback (the driver's self-test) shows MCR's outputs as MSR's inputs. */
static uint8_t uart_msr(void)
{
	uint8_t mcr = uart.regs[UART_MCR];

	if (!(mcr & MCR_LOOP))
		return 0xb0;	/* CTS, DSR, DCD */
	return (uint8_t)(((mcr & 0x01) << 5) | ((mcr & 0x02) << 3) | ((mcr & 0x04) << 4) |
			 ((mcr & 0x08) << 4));
}

static void uart_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		    unsigned size, void *opaque)
{
	unsigned reg = port - UART_BASE;
	bool dlab = uart.regs[UART_LCR] & LCR_DLAB;
	(void)opaque, (void)size;

	if (write) {
		uart_write(cpu, reg, data[0]);
		return;
	}
	switch (reg) {
	case UART_THR: data[0] = dlab ? uart.dll : 0; break;
	case UART_IER: data[0] = dlab ? uart.dlm : uart.regs[UART_IER]; break;
	case UART_IIR: data[0] = uart_iir(); break;
	case UART_LSR: data[0] = LSR_THR_EMPTY; break;
	case UART_MSR: data[0] = uart_msr(); break;
	default: data[0] = uart.regs[reg]; break;
	}
}

int uart_init(int out_fd)
{
	uart.fd = out_fd;
	return pio_register(UART_BASE, 8, uart_io, NULL);
}
