/*
 * printf formats into a small buffer on the caller's stack and sends it to
 * the UART a chunk at a time, holding the console lock so that lines of
 * different CPUs do not interleave. An interrupt or exception handler may
 * print while the code it interrupted holds the lock on the same CPU: it
 * must not wait for it (that would never end), so it prints through.
 */
#include "format.h"
#include "percpu.h"
#include "printf.h"
#include "serial.h"
#include "x86.h"

#define CHUNK 128

static u32 console_owner;	/* CPU number + 1 of the holder, 0 when free */

/* Returns true if this call took the lock (and so must release it). */
static bool console_lock(void)
{
	u32 me = this_cpu()->cpu + 1;

	for (;;) {
		u32 free = 0;
		if (__atomic_compare_exchange_n(&console_owner, &free, me, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		if (free == me)
			return false;	/* nested on this CPU: print through */
		cpu_relax();
	}
}

static void console_unlock(bool taken)
{
	if (taken)
		__atomic_store_n(&console_owner, 0, __ATOMIC_RELEASE);
}

struct console_sink {
	struct sink sink;
	char buf[CHUNK];
	size_t len;
};

static void console_flush(struct console_sink *cs)
{
	serial_write(cs->buf, cs->len);
	cs->len = 0;
}

static void console_put(struct sink *s, char c)
{
	struct console_sink *cs = (struct console_sink *)s;

	cs->buf[cs->len++] = c;
	if (cs->len == CHUNK)
		console_flush(cs);
}

int vprintf(const char *fmt, va_list ap)
{
	struct console_sink cs = {.sink = {.put = console_put}};
	bool taken = console_lock();

	format(&cs.sink, fmt, ap);
	console_flush(&cs);
	console_unlock(taken);
	return (int)cs.sink.count;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

struct buffer_sink {
	struct sink sink;
	char *buf;
	size_t size;
};

static void buffer_put(struct sink *s, char c)
{
	struct buffer_sink *bs = (struct buffer_sink *)s;

	if (s->count + 1 < bs->size)
		bs->buf[s->count] = c;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer_sink bs = {.sink = {.put = buffer_put}, .buf = buf, .size = size};

	format(&bs.sink, fmt, ap);
	if (size)
		buf[bs.sink.count < size ? bs.sink.count : size - 1] = '\0';
	return (int)bs.sink.count;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
