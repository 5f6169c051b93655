/* The formatting engine behind printf and snprintf: it hands each output
 * character to a sink, so neither needs a buffer of unbounded size. */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>

#include "types.h"

struct sink {
	void (*put)(struct sink *s, char c);
	size_t count;			/* characters produced so far */
};

void format(struct sink *s, const char *fmt, va_list ap);

#endif
