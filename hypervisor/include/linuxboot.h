/* The Linux x86 boot protocol loader (core/linuxboot.c). */
#ifndef LINUXBOOT_H
#define LINUXBOOT_H

#include "types.h"
#include "vcpu.h"

struct vm;

/* Does the file carry the boot protocol's "HdrS" header at 0x202 (a bzImage or zImage)? */
bool linux_is_bzimage(const u8 *data, u64 size);
/* Loads a bzImage with its command line and initrd (NULL: none) into the guest, and sets
 * the vCPU's start as the 32-bit boot protocol asks; tsc_khz (0: unknown) is added to the
 * command line as tsc_early_khz= unless it has one. False, with one log line, when the
 * kernel or the guest's RAM does not allow it. */
bool linux_load(struct vm *vm, const u8 *data, u64 size, const char *args,
		const u8 *initrd, u64 initrd_size, u64 tsc_khz, struct vcpu_boot *boot);

#endif
