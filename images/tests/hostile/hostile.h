// The hostile guest's attacks, by kind (hostile.c runs the one `attack=` names): what the
// hypervisor must contain, each in a file of its own kind (cpu.c: instructions, MSRs,
// control registers and CPUID; memory.c: paging, descriptor tables and RAM's edges;
// devices.c: ports, device models, interrupts and hypercalls).
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include "console.h"
#include "cpu.h"
#include "exception.h"
#include "io.h"
#include "irq.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_FS_BASE         0xC0000100
#define MSR_GS_BASE         0xC0000101
#define MSR_KERNEL_GS_BASE  0xC0000102
#define MSR_LSTAR           0xC0000082
#define MSR_CSTAR           0xC0000083
#define NON_CANONICAL       0x8000000000000000ull

#define CR0_PE              (1u << 0)
#define CR0_PG              (1u << 31)
#define CR4_PSE             (1u << 4)
#define CR4_PAE             (1u << 5)
#define PTE_P               (1u << 0)
#define PTE_W               (1u << 1)
#define PDE_PS              (1u << 7)

#define VGA_TEXT            0xB8000u
#define VGA_GRAPHICS        0xA0000u
#define PAGE                4096u

bool is_intel(void);

// cpu.c
void msr_noncanonical(const struct multiboot_info *info);
void halt_masked(const struct multiboot_info *info);
void mwait(const struct multiboot_info *info);
void invd(const struct multiboot_info *info);
void xsetbv_rdtscp(const struct multiboot_info *info);
void vmx_insns(const struct multiboot_info *info);
void svm_insns(const struct multiboot_info *info);
void msr_classes(const struct multiboot_info *info);
void cr0_nw_without_cd(const struct multiboot_info *info);
void cr_illegal(const struct multiboot_info *info);
void halt_if_off(const struct multiboot_info *info);
void cpuid_sweep(const struct multiboot_info *info);
void sysenter_cs_zero(const struct multiboot_info *info);

// memory.c
void vga_exec(const struct multiboot_info *info);
void pd_in_vga(const struct multiboot_info *info);
void pd_in_vga_text(const struct multiboot_info *info);
void pse36(const struct multiboot_info *info);
void pg_without_pe(const struct multiboot_info *info);
void pdpte_reserved(const struct multiboot_info *info);
void gdt_outside_ram(const struct multiboot_info *info);
void idt_outside_ram(const struct multiboot_info *info);
void stack_outside_ram(const struct multiboot_info *info);
void ram_straddle(const struct multiboot_info *info);
void insw_straddle(const struct multiboot_info *info);
void cr3_outside_ram(const struct multiboot_info *info);
void idt_too_short(const struct multiboot_info *info);
void addr16_string_wrap(const struct multiboot_info *info);

// devices.c
void rep_insb_down(const struct multiboot_info *info);
void rep_insb_ticking(const struct multiboot_info *info);
void port_read_sweep(const struct multiboot_info *info);
void port_write_sweep(const struct multiboot_info *info);
void forge_tag(const struct multiboot_info *info);
void forge_end(const struct multiboot_info *info);
void hypercall_bogus(const struct multiboot_info *info);
void pic_pit_garbage(const struct multiboot_info *info);
void irq_storm(const struct multiboot_info *info);
void uart_garbage(const struct multiboot_info *info);
void crtc_garbage(const struct multiboot_info *info);
void i8042_garbage(const struct multiboot_info *info);
void console_flood(const struct multiboot_info *info);
void hypercall_storm(const struct multiboot_info *info);
void port_wrap(const struct multiboot_info *info);

#endif
