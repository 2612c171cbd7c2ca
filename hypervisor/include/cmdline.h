/* The hypervisor's command line (CONTRACT.md 2). */
#ifndef CMDLINE_H
#define CMDLINE_H

#include "types.h"

enum backend_choice { BACKEND_AUTO, BACKEND_VMX, BACKEND_SVM };

/* Guests one hypervisor runs at most (CONTRACT.md 10: numbered by one digit). */
#define MAX_GUESTS 8

/* The guest's disk (`disk=START:COUNT`): a window of the machine's primary-master disk. */
struct disk_window {
	bool enabled;
	u64 start, count;    /* count 0: to the end of the real disk */
};

/* What the words say about guest K (`guest_mem.K=`, `disk.K=`; CONTRACT.md 10). */
struct guest_config {
	u64 mem_mib;         /* 0: guest_mem's */
	struct disk_window disk;
};

struct hv_config {
	enum backend_choice backend;
	u64 guest_mem_mib;   /* guest RAM, milestone 2; every guest's unless guest_mem.K */
	u64 watchdog_ms;     /* 0 = off, milestone 3 */
	u64 slice_ms;        /* the longest a guest runs while another is ready */
	bool dedup;          /* page deduplication across guests */
	bool bios;           /* every guest starts with a PC BIOS's state (core/firmware.c) */
	char selftest[16];   /* "ud2", "pf": deliberately fault to test the panic path */
	struct guest_config guest[MAX_GUESTS];
};

/* Fills cfg from the command line; false (after logging why) on a bad value. */
bool cmdline_parse(const char *cmdline, struct hv_config *cfg);
/* Skips the image path the boot loader puts before the words; returns the words. */
const char *cmdline_words(const char *s);

#endif
