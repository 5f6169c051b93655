// SPDX-License-Identifier: MIT
/*
 * stress_main.c - the thread stress without Criterion, for TSan builds.
 * Prints PASS/FAIL lines; the exit status says the same.
 */
#include <stdio.h>

#include "stress.h"
#include "support.h"

static int check(const char *what, uint32_t rooms)
{
	static struct stress s;
	int failures = stress_run(&s, rooms);
	uint32_t free = tlab_free(s.m);
	int ok = !failures && free == rooms;

	printf("%s: %s (failures %d, free %u of %u)\n", ok ? "PASS" : "FAIL",
	       what, failures, free, rooms);
	heap_lab_free(s.m);
	s = (struct stress){ 0 };
	return !ok;
}

int main(void)
{
	return check("threads never share a room", ROOMS) |
	       check("threads drain to the last room", 2 * 512);
}
