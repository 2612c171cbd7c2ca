// Interrupt entry: one 16-byte stub per vector 0-47, plus the system call
// gate. Each stub makes the stack look the same (an error code, real or 0,
// then the vector number) and jumps to trap_common, which saves the rest of a
// struct trapframe (trap.h) and calls trap().

#include "mmu.h"
#include "trap.h"

.text
.global trap_stubs
.balign TRAP_STUB_SIZE
trap_stubs:
.set vector, 0
.rept 48
    .balign TRAP_STUB_SIZE
    // The CPU pushes an error code itself for these (SDM Vol. 3A, 6.13).
    .if (vector == 8) || (vector >= 10 && vector <= 14) || (vector == 17)
    .else
        push $0
    .endif
    push $vector
    jmp trap_common
    .set vector, vector + 1
.endr

.global syscall_stub
syscall_stub:
    push $0
    push $0x80
    jmp trap_common

trap_common:
    pusha
    push %ds
    push %es
    push %fs
    push %gs
    mov $SEL_KERNEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    cld                         // the C ABI wants DF=0; ring 3 may have left it set
    push %esp                   // struct trapframe *
    call trap
    add $4, %esp
    pop %gs
    pop %fs
    pop %es
    pop %ds
    popa
    add $8, %esp                // vector and error code
    iret

.section .note.GNU-stack, "", @progbits
