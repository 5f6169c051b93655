/* Test reporting in kvm-unit-tests' shape: PASS:/FAIL:/SKIP: lines, then
 * "SUMMARY: N tests, M failures"; report_summary() gives the exit status. */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include "types.h"

void report(bool pass, const char *fmt, ...) __printf(2, 3);
void report_skip(const char *fmt, ...) __printf(1, 2);
int report_summary(void);

#endif
