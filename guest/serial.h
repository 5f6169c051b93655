/* The 16550 UART at I/O port 0x3f8, output only, polled. */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include "types.h"

void serial_putc(char c);
void serial_write(const char *s, size_t n);

#endif
