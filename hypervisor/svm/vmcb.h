/*
 * The VMCB: one 4 KiB page, the control area at 0 and the state save area at 0x400
 * (AMD APM Vol 2 appendix B, tables B-1 and B-2). Every field is naturally aligned, so
 * no packing is needed; the offsets are checked at compile time.
 */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include "types.h"

struct vmcb_seg {
	u16 selector;
	u16 attrib;  /* descriptor bits 47:40 in 7:0, bits 55:52 in 11:8 */
	u32 limit;
	u64 base;
};

struct vmcb_control {
	u32 intercept_cr;        /* 000h: reads 15:0, writes 31:16 */
	u32 intercept_dr;        /* 004h */
	u32 intercept_exceptions;/* 008h */
	u32 intercept_misc1;     /* 00Ch: INTR ... SHUTDOWN */
	u32 intercept_misc2;     /* 010h: VMRUN ... */
	u32 intercept_misc3;     /* 014h */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold; /* 03Ch */
	u16 pause_filter_count;  /* 03Eh */
	u64 iopm_base_pa;        /* 040h */
	u64 msrpm_base_pa;       /* 048h */
	u64 tsc_offset;          /* 050h */
	u32 guest_asid;          /* 058h */
	u8 tlb_control;          /* 05Ch */
	u8 reserved_05d[3];
	u64 v_intr;              /* 060h: V_TPR, V_IRQ, V_INTR_MASKING ... */
	u64 interrupt_shadow;    /* 068h */
	u64 exitcode;            /* 070h */
	u64 exitinfo1;           /* 078h */
	u64 exitinfo2;           /* 080h */
	u64 exitintinfo;         /* 088h */
	u64 np_enable;           /* 090h */
	u64 avic_apic_bar;       /* 098h */
	u64 ghcb_pa;             /* 0A0h */
	u64 event_inj;           /* 0A8h */
	u64 n_cr3;               /* 0B0h */
	u64 lbr_virt_enable;     /* 0B8h */
	u32 vmcb_clean;          /* 0C0h */
	u32 reserved_0c4;
	u64 nrip;                /* 0C8h: next RIP, with NRIPS only */
	u8 insn_len;             /* 0D0h: with decode assists only */
	u8 insn_bytes[15];
	u8 reserved_0e0[0x400 - 0x0e0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 400h-49Fh */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;                  /* 4CBh */
	u32 reserved_4cc;
	u64 efer;                /* 4D0h */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;                 /* 548h */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;                 /* 578h */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;                 /* 5D8h */
	u64 s_cet, ssp, isst_addr;
	u64 rax;                 /* 5F8h */
	u64 star;                /* 600h */
	u64 lstar;
	u64 cstar;
	u64 sfmask;
	u64 kernel_gs_base;
	u64 sysenter_cs;
	u64 sysenter_esp;
	u64 sysenter_eip;
	u64 cr2;                 /* 640h */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;               /* 668h */
	u64 dbgctl;
	u64 br_from, br_to, last_excp_from, last_excp_to;
	u8 reserved_698[0x1000 - 0x698];
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

_Static_assert(__builtin_offsetof(struct vmcb, control.exitcode) == 0x070, "VMCB exitcode");
_Static_assert(__builtin_offsetof(struct vmcb, control.n_cr3) == 0x0b0, "VMCB n_cr3");
_Static_assert(__builtin_offsetof(struct vmcb, control.nrip) == 0x0c8, "VMCB nrip");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "VMCB cpl");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "VMCB efer");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "VMCB cr4");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "VMCB rip");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "VMCB rsp");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "VMCB rax");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "VMCB cr2");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB g_pat");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB size");

/* Intercept bits (APM Vol 2 appendix B, table B-1). */
#define INTERCEPT_INTR BIT(0)
#define INTERCEPT_NMI BIT(1)
#define INTERCEPT_VINTR BIT(4)
#define INTERCEPT_CPUID BIT(18)
#define INTERCEPT_INVD BIT(22)
#define INTERCEPT_HLT BIT(24)
#define INTERCEPT_INVLPGA BIT(26)
#define INTERCEPT_IOIO_PROT BIT(27)
#define INTERCEPT_MSR_PROT BIT(28)
#define INTERCEPT_SHUTDOWN BIT(31)
/* intercept_misc2 */
#define INTERCEPT_VMRUN BIT(0)   /* 15.5.1: VMRUN fails unless this is set */
#define INTERCEPT_VMMCALL BIT(1)
#define INTERCEPT_VMLOAD BIT(2)
#define INTERCEPT_VMSAVE BIT(3)
#define INTERCEPT_STGI BIT(4)
#define INTERCEPT_CLGI BIT(5)
#define INTERCEPT_SKINIT BIT(6)
#define INTERCEPT_MONITOR BIT(10)
#define INTERCEPT_MWAIT BIT(11)
#define INTERCEPT_MWAIT_ARMED BIT(12)
#define INTERCEPT_XSETBV BIT(13)

/* V_INTR fields at 060h (15.21.1, 15.21.4, appendix B table B-1). */
#define V_IRQ BIT(8)
#define V_INTR_PRIO_SHIFT 16
#define V_IGN_TPR BIT(20)
#define V_INTR_MASKING BIT(24)
/* 068h: the guest is in an interrupt shadow (15.21.5). */
#define INTERRUPT_SHADOW BIT(0)

#define NP_ENABLE BIT(0)
#define TLB_CONTROL_FLUSH_ALL 1

/* EVENTINJ (15.20): vector 7:0, type 10:8, EV 11, V 31, error code 63:32. */
#define EVENTINJ_TYPE_INTR (0 << 8)
#define EVENTINJ_TYPE_EXCEPTION (3 << 8)
#define EVENTINJ_TYPE_SOFT_INT (4 << 8)
#define EVENTINJ_TYPE_MASK (7 << 8)
#define EVENTINJ_EV BIT(11)
#define EVENTINJ_VALID BIT(31)

/* Exit codes (appendix C). */
#define VMEXIT_CR0_READ 0x000
#define VMEXIT_CR0_WRITE 0x010
#define VMEXIT_CR4_WRITE 0x014
#define INTERCEPT_CR4_WRITE BIT(20)
#define VMEXIT_EXCP_BASE 0x040
#define VMEXIT_INTR 0x060
#define VMEXIT_NMI 0x061
#define VMEXIT_VINTR 0x064
#define VMEXIT_CPUID 0x072
#define VMEXIT_INVD 0x076
#define VMEXIT_HLT 0x078
#define VMEXIT_INVLPGA 0x07a
#define VMEXIT_IOIO 0x07b
#define VMEXIT_MSR 0x07c
#define VMEXIT_SHUTDOWN 0x07f
#define VMEXIT_VMRUN 0x080
#define VMEXIT_VMMCALL 0x081
#define VMEXIT_VMLOAD 0x082
#define VMEXIT_VMSAVE 0x083
#define VMEXIT_STGI 0x084
#define VMEXIT_CLGI 0x085
#define VMEXIT_SKINIT 0x086
#define VMEXIT_MONITOR 0x08a
#define VMEXIT_MWAIT 0x08b
#define VMEXIT_MWAIT_ARMED 0x08c
#define VMEXIT_XSETBV 0x08d
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID 0xffffffffu /* -1: compare the low 32 bits (Bochs sets all 64) */

/* IOIO EXITINFO1 (15.10.2, figure 15-2). */
#define IOIO_TYPE_IN BIT(0)
#define IOIO_STR BIT(2)
#define IOIO_REP BIT(3)
#define IOIO_SZ8 BIT(4)
#define IOIO_SZ16 BIT(5)
#define IOIO_SZ32 BIT(6)
#define IOIO_A16 BIT(7)
#define IOIO_A32 BIT(8)
#define IOIO_A64 BIT(9)
#define IOIO_PORT_SHIFT 16

/* #NPF EXITINFO1: the page-fault error code (15.25.6). */
#define NPF_P BIT(0)
#define NPF_RW BIT(1)
#define NPF_ID BIT(4)

#endif
