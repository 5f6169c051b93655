/* Byte loops on purpose: the buffers the guest handles are small, and gcc
 * must not turn these bodies back into calls to themselves (-ffreestanding
 * keeps it from doing so). */
#include "mem.h"

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;

	while (n--)
		*d++ = (u8)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

void memset64(void *dst, u64 v, size_t words)
{
	__asm__ __volatile__("cld; rep stosq" : "+D"(dst), "+c"(words) : "a"(v) : "memory");
}

size_t memscan64_ne(const void *src, u64 v, size_t words)
{
	const u64 *p = src;
	size_t left = words;
	bool ne;

	if (!words)
		return 0;
	__asm__ __volatile__("cld; repe scasq"
			     : "+D"(p), "+c"(left), "=@ccne"(ne)
			     : "a"(v), "m"(*(const u64(*)[words])src));
	return ne ? (size_t)(p - (const u64 *)src) - 1 : words;
}
