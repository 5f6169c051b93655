// SPDX-License-Identifier: MIT
/* nb.c - see nb.h. */
#include <stdio.h>
#include <unistd.h>

#include "nb.h"

void nb_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "nb-%s-%d", what, getpid());
}

int nb_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}
