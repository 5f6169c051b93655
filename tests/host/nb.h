/* SPDX-License-Identifier: MIT */
/*
 * nb.h - what only the hostile-neighbours tests need: names (nb-*) and a
 * count of lines; the waits and the programs they run are tests/lib's
 * (test_wait.h, test_spawn.h), included here for them.
 */
#ifndef NB_H
#define NB_H

#include <stddef.h>

#include "test_spawn.h"
#include "test_wait.h"

/* "nb-WHAT-PID": ours alone among tests running at the same time. */
void nb_name(char *buf, size_t len, const char *what);
int nb_lines(const char *s);		/* newlines in @s */

#endif
