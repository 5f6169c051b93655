/* Counters are atomic: any CPU may report, interrupt handlers included. */
#include <stdarg.h>

#include "exit.h"
#include "printf.h"
#include "report.h"

static u32 tests, failures, skipped;

static void report_line(const char *tag, const char *fmt, va_list ap)
{
	char line[160];

	/* One printf per line keeps concurrent reports from interleaving. */
	vsnprintf(line, sizeof(line), fmt, ap);
	printf("%s: %s\n", tag, line);
}

void report(bool pass, const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&tests, 1, __ATOMIC_RELAXED);
	if (!pass)
		__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	report_line(pass ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
}

void report_skip(const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&skipped, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	report_line("SKIP", fmt, ap);
	va_end(ap);
}

int report_summary(void)
{
	u32 n = __atomic_load_n(&tests, __ATOMIC_RELAXED);
	u32 f = __atomic_load_n(&failures, __ATOMIC_RELAXED);
	u32 s = __atomic_load_n(&skipped, __ATOMIC_RELAXED);

	printf("SUMMARY: %u tests, %u failures, %u skipped\n", n, f, s);
	return f ? EXIT_FAILURE : EXIT_OK;
}
