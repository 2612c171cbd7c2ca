// Entering ring 3 and coming back for good.
//
// user_run saves the kernel's callee-saved registers and stack pointer, then
// IRETs into the program. The program's traps run on the process kernel stack
// (the TSS's ESP0), never on this one; when the program ends, user_return
// throws that stack away and makes user_run return the exit code.

#include "mmu.h"

.text
.global user_run
user_run:                       // int user_run(uint32_t eip, uint32_t esp)
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov %esp, kernel_resume_esp
    mov 20(%esp), %ecx          // eip
    mov 24(%esp), %edx          // esp
    mov $SEL_USER_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    push $SEL_USER_DATA         // ss
    push %edx                   // esp
    push $0x202                 // eflags: IF, and the always-one bit 1
    push $SEL_USER_CODE         // cs
    push %ecx                   // eip
    xor %eax, %eax              // leak no kernel values to the program
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    iret

.global user_return
user_return:                    // void user_return(int code), interrupts off
    mov 4(%esp), %eax
    mov kernel_resume_esp, %esp
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

.section .bss
.align 4
kernel_resume_esp:
    .long 0

.section .note.GNU-stack, "", @progbits
