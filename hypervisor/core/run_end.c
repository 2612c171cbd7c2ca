/* The end of a run: the `@lab end` line, then the sequence of CONTRACT.md section 4. */
#include "log.h"
#include "run_end.h"
#include "uart.h"
#include "x86.h"

#define ACPI_PM1A_CNT 0x604       /* QEMU pc: SeaBIOS puts the PM base at 0x600 */
#define ACPI_PM1_SLP_S5 0x2000    /* SLP_EN with SLP_TYP 0: QEMU's S5 (power off) */
#define BOCHS_SHUTDOWN_PORT 0x8900
#define ISA_DEBUG_EXIT_PORT 0xf4  /* QEMU exits with status (code << 1) | 1 */

static const char *const reason_words[] = {
	[END_PASS] = "pass",
	[END_FAIL] = "fail",
	[END_PANIC] = "panic",
	[END_NOVIRT] = "novirt",
	[END_GUEST_CRASH] = "guest-crash",
	[END_WATCHDOG] = "watchdog",
	[END_CONFIG] = "config",
};

const char *end_reason(enum end_code code)
{
	return reason_words[code];
}

void run_end(enum end_code code)
{
	static bool ending;
	const char *shutdown = "Shutdown";

	cli();
	if (!ending) { /* a fault during the sequence must not print a second end line */
		ending = true;
		log_printf("@lab end code=%d reason=%s\n", code, reason_words[code]);
	}

	/* 1. Both transmitters empty, so that Bochs delivers the last bytes. */
	uart_wait_idle(COM1_PORT);
	uart_wait_idle(COM2_PORT);
	/* 2. ACPI S5 on QEMU's pc machine (paused there by -no-shutdown). */
	outw(ACPI_PM1A_CNT, ACPI_PM1_SLP_S5);
	/* 3. Bochs' magic breakpoint: the lab's debugger script saves the screen here. */
	asm volatile("xchg %%bx, %%bx" ::: "memory");
	/* 4. Bochs ends the simulation on this string. */
	while (*shutdown)
		outb(BOCHS_SHUTDOWN_PORT, *shutdown++);
	/* 5. isa-debug-exit, for runs outside the lab. */
	outb(ISA_DEBUG_EXIT_PORT, code);
	/* 6. */
	for (;;) {
		cli();
		hlt();
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	log_printf("panic: ");
	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
	log_printf("\n");
	run_end(END_PANIC);
}
