/*
 * The harness of the core files' host tests (test_disk.c, test_cmdline.c, test_loader.c):
 * what the hypervisor would link around them, in small host forms.
 *   - core/lib.c, included with its libc names renamed: its parse_u64 is the real one,
 *     while memcpy, strlen, ... stay the host's (and ASan's checked) own.
 *   - log_printf: keeps the lines since log_clear() in log_text, and counts them.
 *   - run_end and panic: record the end code and jump back into run_ends().
 * Each test names the core sources it tests on its `host-test-sources:` line (lab/build.py).
 */
#ifndef CORE_HARNESS_H
#define CORE_HARNESS_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#define memset hv_memset
#define memcpy hv_memcpy
#define memmove hv_memmove
#define memcmp hv_memcmp
#define strlen hv_strlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#define strchr hv_strchr
#include "../core/lib.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strcmp
#undef strncmp
#undef strchr

#include <string.h>

#include "log.h"
#include "run_end.h"

static char log_text[8192];	/* the lines logged since log_clear(), as far as they fit */
static size_t log_used;
static int log_lines;

static inline void log_clear(void)
{
	log_text[0] = '\0';
	log_used = 0;
	log_lines = 0;
}

void log_vprintf(const char *fmt, va_list ap)
{
	int n = vsnprintf(log_text + log_used, sizeof(log_text) - log_used, fmt, ap);

	if (n > 0)
		log_used += (size_t)n < sizeof(log_text) - log_used ? (size_t)n
								    : sizeof(log_text) - 1 - log_used;
	log_lines++;
}

void log_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
}

static jmp_buf end_jump;
static bool end_armed;
static int end_code = -1;	/* what run_end or panic was called with; -1: neither */

void run_end(enum end_code code)
{
	end_code = code;
	if (!end_armed) {
		fprintf(stderr, "run_end(%d) outside run_ends()\n", code);
		abort();
	}
	longjmp(end_jump, 1);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
	run_end(END_PANIC);
}

/* Runs fn; the code of the run_end or panic it ended in, or -1 if it returned. */
static inline int run_ends(void (*fn)(void))
{
	end_code = -1;
	end_armed = true;
	if (setjmp(end_jump) == 0)
		fn();
	end_armed = false;
	return end_code;
}

/* True if a line logged since log_clear() contains `part`. */
static inline bool logged(const char *part)
{
	return strstr(log_text, part) != NULL;
}

#endif
