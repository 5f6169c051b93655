/*
 * test_wait.h - the tests' one way to wait (dependency `test_lib`): for a
 * state they can observe, never for a time they hope is long enough.
 * Every wait is bounded, so a test that goes wrong fails instead of
 * hanging; the bound is generous because a loaded machine is slow, and
 * how long the wait took is never judged.
 */
#ifndef TEST_WAIT_H
#define TEST_WAIT_H

#include <stdbool.h>

/* How often a wait looks again. */
#define WAIT_STEP_MS	5

void sleep_ms(int ms);

/* Until the monotonic clock passes @timeout_ms from its start. */
struct wait_deadline {
	double end_ns;
};
struct wait_deadline wait_deadline(int timeout_ms);
/* False once the deadline has passed; else sleeps one step, true. */
bool wait_step(const struct wait_deadline *d);

/*
 * WAIT_UNTIL(cond, timeout_ms): looks at @cond every WAIT_STEP_MS until it
 * is true or @timeout_ms have passed; the expression's value is whether it
 * became true (the caller asserts that, saying what it waited for).
 */
#define WAIT_UNTIL(cond, timeout_ms) __extension__ ({			\
	struct wait_deadline wait_d_ = wait_deadline(timeout_ms);	\
	bool wait_ok_;							\
	while (!(wait_ok_ = (cond)) && wait_step(&wait_d_))		\
		;							\
	wait_ok_;							\
})

/* The same for a condition a function says, for callers outside GNU C. */
bool wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/* States worth waiting for. */
/* A Unix socket at @path listens (/proc/net/unix): its file alone only
 * says it is bound, and a connect then is refused. */
bool unix_listening(const char *path);

#endif
