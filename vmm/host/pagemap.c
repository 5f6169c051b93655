// SPDX-License-Identifier: MIT
/*
 * pagemap.c - which pages of a process's range have a page-table entry,
 * the kernel's own word (/proc/PID/pagemap: bit 63 of each page's 8
 * bytes): what `labyrinth check` asks of every monitor's window, and what a
 * monitor's tests ask of their own.
 */
#include <unistd.h>

#include "labyrinth_audit.h"

#define PAGEMAP_PRESENT (1ull << 63)
#define ENTRIES_PER_READ 512

int lab_pagemap_present(int fd, uint64_t va, uint32_t pages, uint64_t *bits)
{
	uint64_t e[ENTRIES_PER_READ];

	for (uint32_t i = 0; i < pages; i++)
		if (i % 64 == 0)
			bits[i / 64] = 0;
	for (uint32_t i = 0; i < pages;) {
		uint32_t k = pages - i < ENTRIES_PER_READ ? pages - i : ENTRIES_PER_READ;
		off_t at = (off_t)((va >> LAB_ROOM_SHIFT) + i) * 8;

		if (pread(fd, e, k * 8, at) != (ssize_t)(k * 8))
			return -1;
		for (uint32_t j = 0; j < k; j++, i++)
			if (e[j] & PAGEMAP_PRESENT)
				bits[i / 64] |= 1ull << (i % 64);
	}
	return 0;
}
