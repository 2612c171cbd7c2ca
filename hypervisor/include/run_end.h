/* How a run ends (CONTRACT.md 4). */
#ifndef RUN_END_H
#define RUN_END_H

#include "types.h"

enum end_code {
	END_PASS = 0,
	END_FAIL = 1,
	END_PANIC = 2,
	END_NOVIRT = 3,
	END_GUEST_CRASH = 4,
	END_WATCHDOG = 5,
	END_CONFIG = 6,
};

/* The reason word of a code (CONTRACT.md 4). */
const char *end_reason(enum end_code code);
/* Prints `@lab end code=N reason=WORD` and runs the end-of-run sequence; never returns. */
void run_end(enum end_code code) __noreturn;
/* Logs "panic: ..." and ends the run with code 2. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#endif
