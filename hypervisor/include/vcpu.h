/*
 * The vendor-neutral view of a guest CPU: its state as the core sees it, and the one exit
 * record each backend fills from a VMX exit reason or an SVM exit code. The core dispatches
 * that record through a table of handlers (KVM style); it never sees a backend's
 * control structure.
 */
#ifndef VCPU_H
#define VCPU_H

#include "types.h"

enum exit_reason {
	EXIT_NONE,
	EXIT_CPUID,
	EXIT_IO,          /* in/out/ins/outs, with rep */
	EXIT_MSR_READ,
	EXIT_MSR_WRITE,
	EXIT_CR_ACCESS,   /* a control-register access that exits */
	EXIT_HLT,
	EXIT_HYPERCALL,   /* vmcall (VMX) or vmmcall (SVM) */
	EXIT_NPF,         /* EPT violation/misconfig, or NPT #NPF */
	EXIT_EXCEPTION,   /* an intercepted guest exception */
	/* The three the hypervisor causes itself, together: see exit_is_guests(). */
	EXIT_EXTINT,      /* an external interrupt arrived for the hypervisor */
	EXIT_INTR_WINDOW, /* the guest can take an interrupt now */
	EXIT_PREEMPT,     /* VMX preemption timer, or the hypervisor's own timer tick */
	EXIT_SHUTDOWN,    /* triple fault (VMX) / shutdown (SVM) */
	EXIT_ENTRY_FAIL,  /* VM entry failed (invalid guest state, VMEXIT_INVALID) */
	EXIT_UD,          /* an instruction CPUID tells the guest it lacks (VMX, SVM, MONITOR,
			   * MWAIT): the core raises #UD */
	EXIT_INVD,        /* INVD: the guest's caches are the host's, so it is a no-op */
	EXIT_XSETBV,      /* XSETBV: the guest's XCR0 (core/xcr.c) */
	EXIT_UNHANDLED,   /* any other raw exit: reported with its raw code, guest stopped */
	EXIT_COUNT
};

/* How a control register was accessed (SDM Vol 3C table 28-3 has the same four). */
enum cr_access { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };

/*
 * Registers the core reads and writes through the backend (they live in its guest state).
 * VREG_CS_ATTR is in the VMX access-rights layout (SDM Vol 3C 25.4.1, Table 25-2): bits 7:0
 * type, S, DPL, P; bit 13 L; bit 14 D/B; bit 15 G. The SVM backend converts from its own
 * packed form. Writes of CR0 and CR4 through write_reg keep the bits a backend must own
 * (the VMX fixed bits) as the backend needs them; the guest reads back what it wrote.
 */
enum vreg {
	VREG_RIP, VREG_RSP, VREG_RFLAGS, VREG_CR0, VREG_CR2, VREG_CR3, VREG_CR4, VREG_EFER,
	VREG_CS_BASE, VREG_DS_BASE, VREG_ES_BASE, VREG_SS_BASE, VREG_CS_ATTR, VREG_CPL,
	/* Added in m2 (see INTERFACE-CHANGES.txt): string I/O with an fs:/gs: override, and
	 * the MSRs the core emulates when a backend intercepts them rather than passing them
	 * through. */
	VREG_FS_BASE, VREG_GS_BASE, VREG_KERNEL_GS_BASE,
	VREG_SYSENTER_CS, VREG_SYSENTER_ESP, VREG_SYSENTER_EIP,
	VREG_STAR, VREG_LSTAR, VREG_CSTAR, VREG_SFMASK, VREG_PAT,
	VREG_COUNT
};

/* The exit record. The backend's run() fills reason, raw, rip and insn_len (0 where the
 * exit is not an instruction's) and, of the union, the part the reason names, whole: the
 * record is not cleared before (it costs an exit 9 instructions). */
struct vm_exit {
	enum exit_reason reason;
	u64 raw;         /* the backend's own exit code, for reports */
	u64 rip;         /* guest RIP of the exiting instruction */
	u32 insn_len;    /* its length in bytes; 0 if the backend cannot tell */
	union {
		struct {
			u16 port;
			u8 size;     /* 1, 2 or 4 */
			bool in;     /* in/ins (true) or out/outs (false) */
			bool string; /* ins/outs */
			bool rep;
			u8 addr_size; /* 2, 4 or 8: address size of a string instruction */
			u8 seg;      /* string source segment for outs (0=ES 1=CS 2=SS 3=DS 4=FS 5=GS) */
		} io;
		struct {
			u32 index;
		} msr;
		struct {
			u8 cr;       /* 0, 3, 4 or 8 */
			u8 kind;     /* enum cr_access */
			u8 gpr;      /* general register number (0=RAX ... 15=R15) */
			u16 lmsw_data; /* the source operand of LMSW */
		} cr;
		struct {
			u64 gpa;
			bool read, write, exec;
			bool present; /* a permission fault on a mapped page, not a missing one */
		} npf;
		struct {
			u8 vector;
			bool has_error;
			u32 error_code;
			u64 cr2;     /* for #PF */
		} exc;
	};
};

/* General registers, saved and restored by the backend's entry code around each run. */
struct vcpu_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vm;

#define IO_PORTS_COUNTED 0x400

struct vcpu {
	struct vcpu_regs regs;  /* the SVM backend syncs RAX with its guest state */
	struct vm *vm;
	void *arch;             /* the backend's own state (its control structure) */
	bool intr_window;       /* an interrupt-window exit asked for (core/irq.c) */
	bool rdtscp;            /* the backend lets RDTSCP run (VMX needs a control for it) */
	bool invpcid;           /* the same for INVPCID */
	u64 xcr0, tsc_aux, pkrs; /* the guest's, in the real registers while it runs (xcr.c) */
	u64 apic_base;          /* IA32_APIC_BASE as the guest sees it (core/msr.c) */
	u64 k7_perf[8];         /* AMD's legacy PerfEvtSel0-3, PerfCtr0-3 (core/msr.c) */
	u64 exits;              /* count, for reports */
	u64 exits_by_reason[EXIT_COUNT];
	u32 io_exits_by_port[IO_PORTS_COUNTED]; /* the ISA range: where SWEB's exits go */
};

/* How the loader wants the guest to start: 32-bit flat protected mode, paging off. */
struct vcpu_boot {
	u32 eip, eax, ebx, esp, esi;
	u64 nested_root;        /* host-physical address of the EPT PML4 / NPT PML4 */
	/* Flat 32-bit CS and data selectors and the GDT they come from, for a guest whose
	 * boot protocol names them (Linux: 0x10, 0x18); 0 keeps the backend's Multiboot
	 * state (0x08, 0x10, no GDT: Multiboot 3.2 leaves GDTR undefined). */
	u16 cs, ds;
	u64 gdtr_base;
	u16 gdtr_limit;
};

/*
 * Ports the guest reaches directly (core/io.c): each backend clears their bits in its
 * I/O permission bitmap, so accesses to them never exit.
 */
extern const u16 io_passthrough_ports[];
extern const unsigned int io_passthrough_count;
/* MSRs the guest reaches directly (core/msr.c), for each backend's MSR bitmap. */
struct msr_passthrough {
	u32 index;
	bool writes;  /* WRMSR too, not only RDMSR */
};
extern const struct msr_passthrough msr_passthrough[];
extern const unsigned int msr_passthrough_count;

/* A nested-page-table entry's permissions, as the core asks for them. */
#define NPT_READ  BIT(0)
#define NPT_WRITE BIT(1)
#define NPT_EXEC  BIT(2)

#endif
