/* Page deduplication across guests (core/dedup.c, CONTRACT.md 10). */
#ifndef CORE_DEDUP_H
#define CORE_DEDUP_H

#include "types.h"

struct vm;

/* Switches it on for these guests (loaded, not yet run): their pages are tracked one by
 * one from now on. */
void dedup_init(struct vm *vms, int n);
/* Is dedup on for this run? Read on every exit, so that a run without it pays one test. */
extern bool dedup_on;
void dedup_scan_tick(bool idle);
/* A share of the host's time for the scan: call it often; it works once per host tick,
 * longer when `idle` (every guest halted). */
static inline void dedup_scan(bool idle)
{
	if (dedup_on)
		dedup_scan_tick(idle);
}
/* Gives guest page gpa back to vm as its own (a copy if others share it): after a write
 * fault on it, or before the hypervisor writes it. False if it was not shared. */
bool dedup_unshare(struct vm *vm, u64 gpa);
/* The `@lab mem` line (CONTRACT.md 10); nothing when dedup is off. */
void dedup_log(void);

#endif
