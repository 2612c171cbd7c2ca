// System call stubs: arguments from the C stack into EBX, ECX, EDX, then
// `int $0x80` with the number in EAX (include/syscall.h).
#include "syscall.h"

.macro SYSCALL name, number
.global \name
\name:
    push %ebx
    mov 8(%esp), %ebx
    mov 12(%esp), %ecx
    mov 16(%esp), %edx
    mov $\number, %eax
    int $SYSCALL_VECTOR
    pop %ebx
    ret
.endm

.text
SYSCALL exit, SYS_EXIT
SYSCALL read, SYS_READ
SYSCALL write, SYS_WRITE
SYSCALL open, SYS_OPEN
SYSCALL close, SYS_CLOSE
SYSCALL unlink, SYS_UNLINK
SYSCALL ticks, SYS_TICKS
SYSCALL tick_hz, SYS_TICK_HZ

.section .note.GNU-stack, "", @progbits
