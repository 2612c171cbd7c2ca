// kvm-unit-tests style results: one PASS/FAIL/SKIP line per check, then a summary.
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>

// Print "PASS: NAME" or "FAIL: NAME"; returns OK so a test can chain on it.
bool report(const char *name, bool ok);
// Print "SKIP: NAME (WHY)".
void report_skip(const char *name, const char *why);
// Print "SUMMARY: N tests, F unexpected failures, S skipped"; return the exit
// code: 0 when nothing failed, 1 otherwise.
int report_summary(void);

#endif
