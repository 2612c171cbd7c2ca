// longmode: the 32-bit -> 64-bit switch a real 64-bit guest OS makes (SWEB's
// boot path, /work/shared/SWEB.md "How it boots" and "CPU"), the checks that
// need 64-bit mode, and the way back to 32-bit protected mode so that the
// library's report() and exit() work as usual.
//
// int lm_run(void): called from longmode.c once it has filled lm_pml4 (paging
// structures) and lm_idt64 (the 64-bit IDT). Everything learnt in 64-bit mode
// goes to lm_results (its layout is struct lm_results in longmode.c).
//
// References: Intel SDM Vol. 3A 9.8.5 "Initializing IA-32e Mode" and 9.8.5.4
// "Switching Out of IA-32e Mode Operation"; 4.5 (4-level paging, 2 MiB PDEs);
// 6.14 (64-bit IDT gates and exception frames); 2.5 (CR0, CR4); 13.1 (SSE enabling).

#define EFER_MSR        0xC0000080
#define EFER_LME        (1 << 8)
#define EFER_NXE        (1 << 11)
#define CR0_PE          (1 << 0)
#define CR0_MP          (1 << 1)
#define CR0_EM          (1 << 2)
#define CR0_TS          (1 << 3)
#define CR0_WP          (1 << 16)
#define CR0_PG          (1 << 31)
#define CR4_PAE         (1 << 5)
#define CR4_OSFXSR      (1 << 9)
#define CR4_OSXMMEXCPT  (1 << 10)
#define CR4_SMEP        (1 << 20)

#define CODE32_SELECTOR 0x08    // same selectors as the library's GDT (entry.S)
#define DATA_SELECTOR   0x10
#define CODE64_SELECTOR 0x18

// Offsets into lm_results: keep in step with struct lm_results in longmode.c.
#define R_REACHED64     0
#define R_EFER          4
#define R_WIDE          8
#define R_E9_READ       12
#define R_CR0           16
#define R_CR4           20
#define R_ADDPS         24
#define R_PADDD         28
#define R_X87_SUM       32
#define R_X87_ROUNDTRIP 36
#define R_FSAVE_FCW     40
#define R_MAX_LEAF      44
#define R_LEAF7_EBX     48
#define R_SMEP_CR4      52
#define R_SMEP_FAULT    56
#define R_SMEP_ERR      60
#define R_SMEP_CR2      64
#define R_PAGE_READ     68
#define R_ALIAS_READ    72
#define R_EXEC_PLAIN    76
#define R_NX_FAULT      80
#define R_NX_ERR        84
#define R_NX_CR2        88
#define R_WP_FAULT      92
#define R_WP_ERR        96
#define R_WP_CR2        100
#define R_BAD_VECTOR    104
#define R_BAD_ERR       108
#define R_BAD_RIP       112
#define R_BAD_CR2       116
#define R_TESTDEV_RUN   120     // input: 1 = do the string I/O check (lab hypervisor present)
#define R_TESTDEV_DONE  124
#define R_SIZE          128

// Physical (= identity-mapped virtual) addresses longmode.c prepared.
#define PAGE_4M         0x400000        // 64-bit pattern at its start and end
#define PAGE_4M_END     0x5FFFF8
#define ALIAS_VA        0x3FE00000      // PD entry 511 maps this onto PAGE_4M
#define NX_PAGE         0x800000        // a RET there, PDE has XD (bit 63)
#define PLAIN_PAGE      0xA00000        // a RET there, ordinary PDE
#define USER_PAGE       0xC00000        // a RET there, PDE has U/S
#define RO_PAGE         0xE00000        // PDE without R/W
#define TESTDEV_PORT    0xE0

.text
.code32
.global lm_run
lm_run:
    push %ebp
    push %ebx
    push %esi
    push %edi
    pushf
    cli
    mov %esp, lm_saved_esp
    sgdt lm_saved_gdtr
    sidt lm_saved_idtr
    mov %cr0, %eax
    mov %eax, lm_saved_cr0
    mov %cr4, %eax
    mov %eax, lm_saved_cr4
    mov $EFER_MSR, %ecx
    rdmsr
    mov %eax, lm_saved_efer
    mov %edx, lm_saved_efer + 4

    // SWEB's order: own GDT, CR4.PAE, CR3, EFER.LME|NXE, CR0.PG|WP|PE, far jump.
    lgdt lm_gdtr
    ljmp $CODE32_SELECTOR, $1f      // CS from our GDT (same descriptor as before)
1:  mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $lm_pml4, %eax
    mov %eax, %cr3
    mov $EFER_MSR, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0
    ljmp $CODE64_SELECTOR, $lm_entry64

.code64
lm_entry64:
    mov $DATA_SELECTOR, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %esp, %esp                  // upper halves are undefined after the switch
    lidt lm_idtr64(%rip)
    movl $0xFFFFFFFF, lm_results + R_BAD_VECTOR(%rip)
    mov %rsp, lm_bail_rsp(%rip)
    call lm_checks
lm_leave64:
    // Back to compatibility mode (a 32-bit code segment), then out of long mode.
    pushq $CODE32_SELECTOR
    mov $lm_compat32, %eax
    push %rax
    lretq

.code32
lm_compat32:
    mov %cr0, %eax
    and $~CR0_PG, %eax
    mov %eax, %cr0                  // leaves IA-32e mode (EFER.LMA = 0)
    mov $EFER_MSR, %ecx
    mov lm_saved_efer, %eax
    mov lm_saved_efer + 4, %edx
    wrmsr                           // LME (and NXE) as they were
    mov lm_saved_cr4, %eax
    mov %eax, %cr4
    mov lm_saved_cr0, %eax
    mov %eax, %cr0
    lgdt lm_saved_gdtr
    ljmp $CODE32_SELECTOR, $1f
1:  mov $DATA_SELECTOR, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    lidt lm_saved_idtr
    mov lm_saved_esp, %esp
    popf
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    mov lm_results + R_REACHED64, %eax
    ret

// ---------------------------------------------------------------------------
// The checks, in 64-bit mode. Each stores its outcome; none returns early.
.code64
lm_checks:
    movl $1, lm_results + R_REACHED64(%rip)

    // EFER.LMA (bit 10) as the CPU reports it.
    mov $EFER_MSR, %ecx
    rdmsr
    mov %eax, lm_results + R_EFER(%rip)

    // 64-bit operand size really works (REX.W).
    movabs $0x123456789, %rax
    add %rax, %rax                  // 0x2468ACF12
    shr $32, %rax
    cmp $2, %rax
    sete %al
    movzbl %al, %eax
    mov %eax, lm_results + R_WIDE(%rip)

    // The debug console, byte by byte, as SWEB writes it; then the POST port.
    mov $lm_hello, %esi
2:  movzbl (%rsi), %eax
    test %al, %al
    jz 3f
    out %al, $0xE9
    inc %rsi
    jmp 2b
3:  mov $0x4C, %al
    out %al, $0x80
    xor %eax, %eax
    in $0xE9, %al                   // QEMU, Bochs and the lab's debugcon answer 0xE9
    mov %eax, lm_results + R_E9_READ(%rip)

    // SSE and x87: CR0.EM = 0, CR0.MP = 1, CR0.TS = 0, CR4.OSFXSR|OSXMMEXCPT.
    mov %cr0, %rax
    and $~(CR0_EM | CR0_TS), %rax
    or $CR0_MP, %rax
    mov %rax, %cr0
    mov %cr0, %rax
    mov %eax, lm_results + R_CR0(%rip)
    mov %cr4, %rax
    or $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
    mov %rax, %cr4
    mov %cr4, %rax
    mov %eax, lm_results + R_CR4(%rip)

    movups lm_ps_a(%rip), %xmm0
    movups lm_ps_b(%rip), %xmm1
    addps %xmm1, %xmm0
    movups %xmm0, lm_ps_out(%rip)
    mov lm_ps_out(%rip), %rax
    mov lm_ps_out + 8(%rip), %rdx
    xor %ecx, %ecx
    cmp lm_ps_expect(%rip), %rax
    jne 4f
    cmp lm_ps_expect + 8(%rip), %rdx
    jne 4f
    inc %ecx
4:  mov %ecx, lm_results + R_ADDPS(%rip)

    movdqu lm_dq_a(%rip), %xmm2
    movdqu lm_dq_b(%rip), %xmm3
    paddd %xmm3, %xmm2
    movdqu %xmm2, lm_dq_out(%rip)
    mov lm_dq_out(%rip), %rax
    mov lm_dq_out + 8(%rip), %rdx
    xor %ecx, %ecx
    cmp lm_dq_expect(%rip), %rax
    jne 5f
    cmp lm_dq_expect + 8(%rip), %rdx
    jne 5f
    inc %ecx
5:  mov %ecx, lm_results + R_PADDD(%rip)

    fninit
    fld1
    fld1
    faddp                           // ST0 = 2.0
    fstl lm_x87_before(%rip)        // as a double, without popping
    fnsave lm_fsave(%rip)           // saves, then reinitializes the FPU
    fldz                            // something else in ST0
    frstor lm_fsave(%rip)
    fstpl lm_x87_after(%rip)        // must be the 2.0 saved above
    fninit
    movabs $0x4000000000000000, %rdx  // 2.0 as an IEEE double
    xor %eax, %eax
    cmp lm_x87_before(%rip), %rdx
    sete %al
    mov %eax, lm_results + R_X87_SUM(%rip)
    xor %eax, %eax
    cmp lm_x87_after(%rip), %rdx
    sete %al
    mov %eax, lm_results + R_X87_ROUNDTRIP(%rip)
    movzwl lm_fsave(%rip), %eax     // FCW in the image: 0x037F after fninit
    mov %eax, lm_results + R_FSAVE_FCW(%rip)

    // SMEP, when CPUID leaf 7 (subleaf 0) EBX bit 7 offers it.
    xor %eax, %eax
    cpuid
    mov %eax, lm_results + R_MAX_LEAF(%rip)
    cmp $7, %eax
    jb 6f
    mov $7, %eax
    xor %ecx, %ecx
    cpuid
    mov %ebx, lm_results + R_LEAF7_EBX(%rip)
    test $(1 << 7), %ebx
    jz 6f
    mov %cr4, %rax
    or $CR4_SMEP, %rax
    mov %rax, %cr4
    mov %cr4, %rax
    mov %eax, lm_results + R_SMEP_CR4(%rip)
    // A supervisor fetch from a user page must now fault.
    mov $USER_PAGE, %edi
    call lm_try
    mov %eax, lm_results + R_SMEP_FAULT(%rip)
    mov lm_pf_err(%rip), %eax
    mov %eax, lm_results + R_SMEP_ERR(%rip)
    mov lm_pf_cr2(%rip), %eax
    mov %eax, lm_results + R_SMEP_CR2(%rip)
6:
    // 2 MiB pages: identity and an alias onto the same frame.
    xor %ecx, %ecx
    movabs $0x0123456789ABCDEF, %rax
    cmp PAGE_4M, %rax
    jne 7f
    movabs $0xFEDCBA9876543210, %rax
    cmp PAGE_4M_END, %rax
    jne 7f
    inc %ecx
7:  mov %ecx, lm_results + R_PAGE_READ(%rip)
    xor %ecx, %ecx
    movabs $0x0123456789ABCDEF, %rax
    mov $ALIAS_VA, %edx
    cmp (%rdx), %rax
    jne 8f
    movabs $0xFEDCBA9876543210, %rax
    cmp 0x1FFFF8(%rdx), %rax
    jne 8f
    inc %ecx
8:  mov %ecx, lm_results + R_ALIAS_READ(%rip)

    // Executing from an ordinary page works; from an XD page it faults.
    mov $PLAIN_PAGE, %edi
    call lm_try
    xor $1, %eax
    mov %eax, lm_results + R_EXEC_PLAIN(%rip)
    mov $NX_PAGE, %edi
    call lm_try
    mov %eax, lm_results + R_NX_FAULT(%rip)
    mov lm_pf_err(%rip), %eax
    mov %eax, lm_results + R_NX_ERR(%rip)
    mov lm_pf_cr2(%rip), %eax
    mov %eax, lm_results + R_NX_CR2(%rip)

    // CR0.WP: a supervisor write to a read-only page faults.
    mov $lm_write_byte, %edi
    mov $RO_PAGE, %esi
    call lm_try
    mov %eax, lm_results + R_WP_FAULT(%rip)
    mov lm_pf_err(%rip), %eax
    mov %eax, lm_results + R_WP_ERR(%rip)
    mov lm_pf_cr2(%rip), %eax
    mov %eax, lm_results + R_WP_CR2(%rip)

    // String I/O in 64-bit mode through the alias mapping (lab test device).
    cmpl $0, lm_results + R_TESTDEV_RUN(%rip)
    je 9f
    cld
    mov $TESTDEV_PORT, %edx
    mov $(ALIAS_VA + 0x100), %esi
    mov $2, %ecx
    rep outsl                       // two stores to offsets 0-3; the second stays
    mov $(ALIAS_VA + 0x200), %edi
    mov $2, %ecx
    rep insl
    movl $1, lm_results + R_TESTDEV_DONE(%rip)
9:  ret

// int lm_try(fn = RDI, arg = RSI): call FN(ARG) with #PF armed. EAX = 0 when it
// returned, 1 when it page-faulted (lm_pf_err, lm_pf_cr2 say how).
lm_try:
    movl $0, lm_pf_err(%rip)
    movl $0, lm_pf_cr2(%rip)
    mov %rsp, lm_recover_rsp(%rip)
    lea 1f(%rip), %rax
    mov %rax, lm_recover_rip(%rip)
    movl $1, lm_armed(%rip)
    call *%rdi
    movl $0, lm_armed(%rip)
    xor %eax, %eax
    ret
1:  mov $1, %eax
    ret

lm_write_byte:
    movb $0x5A, (%rsi)
    ret

// Exception stubs: vector and (for vectors without one) a zero error code.
.macro LM_STUB v
lm_stub_\v:
    .if ((\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
    .else
    pushq $0
    .endif
    pushq $\v
    jmp lm_exception
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    LM_STUB \v
.endr

// Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS (SDM 6.14.2).
lm_exception:
    cmpl $0, lm_armed(%rip)
    je 1f
    cmpq $14, (%rsp)
    jne 1f
    movl $0, lm_armed(%rip)
    mov 8(%rsp), %rax
    mov %eax, lm_pf_err(%rip)
    mov %cr2, %rax
    mov %eax, lm_pf_cr2(%rip)
    mov lm_recover_rsp(%rip), %rsp
    jmp *lm_recover_rip(%rip)
1:  mov (%rsp), %rax
    mov %eax, lm_results + R_BAD_VECTOR(%rip)
    mov 8(%rsp), %rax
    mov %eax, lm_results + R_BAD_ERR(%rip)
    mov 16(%rsp), %rax
    mov %eax, lm_results + R_BAD_RIP(%rip)
    mov %cr2, %rax
    mov %eax, lm_results + R_BAD_CR2(%rip)
    mov lm_bail_rsp(%rip), %rsp     // give up on the checks, go back to 32-bit
    jmp lm_leave64

.section .rodata
.align 4
.global lm_stubs
lm_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long lm_stub_\v
.endr

lm_hello:
    .asciz "longmode: hello from 64-bit via port 0xE9\n"

.align 16
lm_ps_a:        .float 1.5, -2.0, 100.25, 0.125
lm_ps_b:        .float 2.25, 0.5, -0.25, 8.0
lm_ps_expect:   .float 3.75, -1.5, 100.0, 8.125
lm_dq_a:        .long 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x12345678
lm_dq_b:        .long 2, 1, 1, 0x11111111
lm_dq_expect:   .long 3, 0x80000000, 0, 0x23456789

.align 8
// GDT: the library's two flat 32-bit descriptors, then a 64-bit code segment
// (L = 1, D = 0; SDM 3.4.5).
lm_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        // 0x08: 32-bit code
    .quad 0x00CF92000000FFFF        // 0x10: data
    .quad 0x00AF9A000000FFFF        // 0x18: 64-bit code
lm_gdt_end:
lm_gdtr:
    .word lm_gdt_end - lm_gdt - 1
    .long lm_gdt

.data
.align 8
lm_idtr64:
    .word 32 * 16 - 1
    .long lm_idt64, 0              // 64-bit base (an i386 object has no 64-bit relocation)

.section .bss
.align 8
.global lm_results
lm_results:     .skip R_SIZE
lm_saved_esp:   .skip 4
lm_saved_cr0:   .skip 4
lm_saved_cr4:   .skip 4
.align 8
lm_saved_efer:  .skip 8
lm_saved_gdtr:  .skip 8
lm_saved_idtr:  .skip 8
lm_bail_rsp:    .skip 8
lm_recover_rsp: .skip 8
lm_recover_rip: .skip 8
lm_armed:       .skip 4
lm_pf_err:      .skip 4
lm_pf_cr2:      .skip 4
.align 16
lm_ps_out:      .skip 16
lm_dq_out:      .skip 16
lm_x87_before:  .skip 8
lm_x87_after:   .skip 8
lm_fsave:       .skip 108

// No executable stack wanted (GNU ld warns without this note).
.section .note.GNU-stack, "", @progbits
