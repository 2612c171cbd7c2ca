#include "report.h"
#include "console.h"

static unsigned tests_run;
static unsigned tests_failed;
static unsigned tests_skipped;

bool report(const char *name, bool ok)
{
    tests_run++;
    if (!ok)
        tests_failed++;
    printf("%s: %s\n", ok ? "PASS" : "FAIL", name);
    return ok;
}

void report_skip(const char *name, const char *why)
{
    tests_run++;
    tests_skipped++;
    printf("SKIP: %s (%s)\n", name, why);
}

int report_summary(void)
{
    printf("SUMMARY: %u tests, %u unexpected failures, %u skipped\n",
           tests_run, tests_failed, tests_skipped);
    return tests_failed ? 1 : 0;
}
