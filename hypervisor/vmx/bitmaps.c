/*
 * The I/O and MSR bitmaps (SDM Vol 3C 25.6.4 and 25.6.9): what the guest reaches without
 * an exit. The core decides which ports and MSRs (core/io.c, core/msr.c); this file sets
 * their bits the Intel way. One copy serves every guest.
 */
#include "lib.h"
#include "vcpu.h"
#include "vmx.h"
#include "x86.h"

/*
 * 25.6.9: one 4 KiB page, read bitmaps for MSRs 0-0x1FFF and 0xC0000000-0xC0001FFF,
 * then the write bitmaps. All ones: every RDMSR and WRMSR exits until the core passes
 * an MSR through.
 */
u8 vmx_msr_bitmap[PAGE_SIZE] __aligned(PAGE_SIZE) = { [0 ... PAGE_SIZE - 1] = 0xff };
/* 25.6.4: bitmap A covers ports 0000-7FFF, B 8000-FFFF; a set bit makes the port exit. */
u8 vmx_io_bitmap[2][PAGE_SIZE] __aligned(PAGE_SIZE) = {
	[0 ... 1] = { [0 ... PAGE_SIZE - 1] = 0xff } };

static void io_bitmaps_init(void)
{
	for (unsigned i = 0; i < io_passthrough_count; i++) {
		u16 port = io_passthrough_ports[i];

		vmx_io_bitmap[port >> 15][(port & 0x7fff) / 8] &= ~(1u << (port % 8));
	}
}

static void msr_allow(u32 msr, bool writes)
{
	u32 base;

	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = 0x400;
	else
		return; /* outside both ranges RDMSR/WRMSR always exit */
	msr &= 0x1fff;
	vmx_msr_bitmap[base + msr / 8] &= ~(1u << (msr % 8));             /* read */
	if (writes)
		vmx_msr_bitmap[base + 0x800 + msr / 8] &= ~(1u << (msr % 8)); /* write */
}

/*
 * Of the core's list, the MSRs whose guest value the VMCS holds, loaded at VM entry and
 * saved at VM exit (SDM Vol 3C 25.4.1, 26.3.2.1, 28.3.1): SYSENTER_CS/ESP/EIP and the FS
 * and GS bases (in their segments' fields). STAR, LSTAR, CSTAR, SFMASK and
 * KERNEL_GS_BASE are not switched by VMX: they keep exiting to the core.
 */
static bool vmcs_switches(u32 msr)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS: case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP:
	case MSR_FS_BASE: case MSR_GS_BASE:
		return true;
	}
	return false;
}

void vmx_bitmaps_init(void)
{
	io_bitmaps_init();
	for (unsigned i = 0; i < msr_passthrough_count; i++)
		if (vmcs_switches(msr_passthrough[i].index))
			msr_allow(msr_passthrough[i].index, msr_passthrough[i].writes);
}
