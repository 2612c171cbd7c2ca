/* The hypervisor's command line (CONTRACT.md 2). */
#ifndef CMDLINE_H
#define CMDLINE_H

#include "types.h"

enum backend_choice { BACKEND_AUTO, BACKEND_VMX, BACKEND_SVM };

struct hv_config {
	enum backend_choice backend;
	u64 guest_mem_mib;   /* guest RAM, milestone 2 */
	u64 watchdog_ms;     /* 0 = off, milestone 3 */
	char selftest[16];   /* "ud2", "pf": deliberately fault to test the panic path */
};

/* Fills cfg from the command line; false (after logging why) on a bad value. */
bool cmdline_parse(const char *cmdline, struct hv_config *cfg);
/* Skips the image path the boot loader puts before the words; returns the words. */
const char *cmdline_words(const char *s);

#endif
