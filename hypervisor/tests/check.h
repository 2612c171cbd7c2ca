/*
 * The smallest TAP harness: CHECK(cond, name) prints "ok N - name" or "not ok N - name";
 * check_done() prints the plan "1..N" and gives main's exit code (non-zero on any failure).
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdbool.h>
#include <stdio.h>

static int check_count, check_failures;

static inline bool check_report(bool ok, const char *name, const char *file, int line)
{
	check_count++;
	if (ok) {
		printf("ok %d - %s\n", check_count, name);
	} else {
		check_failures++;
		printf("not ok %d - %s\n# at %s:%d\n", check_count, name, file, line);
	}
	return ok;
}

#define CHECK(cond, name) check_report(!!(cond), (name), __FILE__, __LINE__)

static inline int check_done(void)
{
	printf("1..%d\n", check_count);
	return check_failures != 0;
}

#endif
