/* printf over the serial line: %d %i %u %x %X %p %s %c %%, with the l, ll
 * and z length modifiers, a width and the '0' and '-' flags. */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>

#include "types.h"

int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
