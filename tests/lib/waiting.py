# SPDX-License-Identifier: MIT
"""waiting.py - the Python tests' bounded waits (test_wait.h's WAIT_UNTIL
for C): for a state they can observe, never for a time they hope is long
enough.  The bound is generous and how long a wait took is never judged."""
import time

STEP = 0.005

# x86-64 numbers of the calls a program waits in between its frames.
POLL_CALLS = (7, 271)		# poll, ppoll


def wait_until(cond, seconds=10):
    """Looks at cond() every 5 ms until it is true or @seconds have
    passed: whether it became true."""
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() >= end:
            return False
        time.sleep(STEP)
    return True


def in_call(pid, calls=POLL_CALLS):
    """Whether process @pid is blocked in one of the system calls @calls
    (the first word of /proc/PID/syscall; "running" while it runs)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            word = f.read().split(" ", 1)[0]
    except OSError:
        return False
    return word.isdigit() and int(word) in calls
