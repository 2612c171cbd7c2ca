/*
 * The I/O and MSR permission maps (APM Vol 2 15.10 and 15.11): what the guest reaches
 * without an exit. The core decides which ports and MSRs (core/io.c, core/msr.c); this
 * file sets their bits the AMD way. One copy serves every guest.
 */
#include "lib.h"
#include "mem.h"
#include "svm.h"
#include "vcpu.h"

#define IOPM_PAGES 3   /* 15.10.1: 12 KiB, one bit per port, 64K ports + 3 bytes */
#define MSRPM_PAGES 2  /* 15.11: 8 KiB, two bits (read, write) per MSR */

u64 svm_iopm_pa, svm_msrpm_pa;

/* 15.11 table 15-13: three 2 KiB blocks of MSRs, two bits each (read, then write). */
static void msrpm_allow(u8 *msrpm, u32 msr, bool writes)
{
	u32 block;

	if (msr < 0x2000)
		block = 0;
	else if (msr >= 0xc0000000 && msr < 0xc0002000)
		block = 1;
	else if (msr >= 0xc0010000 && msr < 0xc0012000)
		block = 2;
	else
		return; /* always intercepted */
	u32 bit = (msr & 0x1fff) * 2;

	msrpm[block * 0x800 + bit / 8] &= ~((writes ? 3u : 1u) << (bit % 8));
}

bool svm_bitmaps_init(const char **why)
{
	if (svm_iopm_pa)
		return true;
	svm_iopm_pa = pages_alloc_contig(IOPM_PAGES, PAGE_SIZE);
	svm_msrpm_pa = pages_alloc_contig(MSRPM_PAGES, PAGE_SIZE);
	if (!svm_iopm_pa || !svm_msrpm_pa) {
		*why = "no memory for the I/O and MSR permission maps";
		return false;
	}
	memset((void *)svm_iopm_pa, 0xff, IOPM_PAGES * PAGE_SIZE); /* every port exits... */
	for (unsigned i = 0; i < io_passthrough_count; i++) {     /* ...but these (15.10.1) */
		u16 port = io_passthrough_ports[i];

		((u8 *)svm_iopm_pa)[port / 8] &= ~(1u << (port % 8));
	}
	memset((void *)svm_msrpm_pa, 0xff, MSRPM_PAGES * PAGE_SIZE);
	/* VMLOAD/VMSAVE switch every MSR of the core's list (15.5.2): all of it applies. */
	for (unsigned i = 0; i < msr_passthrough_count; i++)
		msrpm_allow((u8 *)svm_msrpm_pa, msr_passthrough[i].index, msr_passthrough[i].writes);
	return true;
}
