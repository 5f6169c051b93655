/* The string and memory functions gcc may call even in freestanding code. */
#ifndef GUEST_MEM_H
#define GUEST_MEM_H

#include "types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* Whole-room helpers on 8-byte words, as one string instruction each:
 * under this host's emulator a `rep stosq` or `repe scasq` costs far less
 * than the same work as a loop of emulated instructions. */
void memset64(void *dst, u64 v, size_t words);
/* Index of the first word that is not @v, or @words if all are. */
size_t memscan64_ne(const void *src, u64 v, size_t words);

#endif
