/* The Linux x86 boot protocol loader (core/linuxboot.c). */
#ifndef LINUXBOOT_H
#define LINUXBOOT_H

#include "types.h"
#include "vcpu.h"

struct vm;

/* A file in host memory: the kernel's initrd (data NULL: none). */
struct linux_image {
	const u8 *data;
	u64 size;
};

/* Does the file carry the boot protocol's "HdrS" header at 0x202 (a bzImage or zImage)? */
bool linux_is_bzimage(const u8 *data, u64 size);
/* Loads a bzImage with its command line and initrd (NULL: none) into the guest, and sets
 * the vCPU's start as the 32-bit boot protocol asks; tsc_khz (0: unknown) is added to the
 * command line as tsc_early_khz= unless it has one. False, with one log line, when the
 * kernel or the guest's RAM does not allow it. */
bool linux_load(struct vm *vm, const u8 *data, u64 size, const char *args,
		const struct linux_image *initrd, u64 tsc_khz, struct vcpu_boot *boot);
/* For a PVH kernel whose segments are loaded, ending at kernel_end: the start info, memory
 * map, command line and initrd, and the vCPU's start at entry (32-bit, paging off, EBX =
 * the start info). False, with one log line, when the guest's RAM does not hold them. */
bool linux_pvh_start(struct vm *vm, u32 entry, u64 kernel_end, const char *args,
		     const struct linux_image *initrd, u64 tsc_khz, struct vcpu_boot *boot);

#endif
