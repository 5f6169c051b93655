/* A 16550 UART at 0x3f8 whose transmitter writes to stdout. */
#ifndef VMM_UART_H
#define VMM_UART_H

int uart_init(int out_fd);
void uart_flush(void);

#endif
