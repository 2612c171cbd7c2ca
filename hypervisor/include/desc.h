/* The hypervisor's own GDT, TSS and IDT (SDM Vol 3A chapters 3, 6 and 8). */
#ifndef DESC_H
#define DESC_H

#include "types.h"

/* Selectors in our GDT (core/gdt.c). */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

/* Interrupt stack table slots (SDM Vol 3A 6.14.5), 1-based as in the IDT gate. */
#define IST_DF 1
#define IST_NMI 2
#define IST_MC 3

/* The register state traps.S saves, in push order reversed. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	/* pushed by the CPU (SDM Vol 3A 6.14.2, figure 6-9) */
	u64 rip, cs, rflags, rsp, ss;
};

void gdt_init(void);
void idt_init(void);
void trap_handler(struct trap_frame *tf);

#endif
