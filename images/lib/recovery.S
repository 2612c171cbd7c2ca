// A recovery point, the setjmp/longjmp pair that lets a test survive an
// exception it expects: recovery_save returns 0, and later returns 1 again
// when the exception handler calls recovery_resume. Only the registers the
// i386 System V ABI makes callee-saved need keeping (EBX, ESI, EDI, EBP, ESP).

.text
// int recovery_save(struct recovery_point *point)
.global recovery_save
recovery_save:
    mov 4(%esp), %eax
    mov %ebx, 0(%eax)
    mov %esi, 4(%eax)
    mov %edi, 8(%eax)
    mov %ebp, 12(%eax)
    lea 4(%esp), %ecx           // ESP as the caller will see it after our RET
    mov %ecx, 16(%eax)
    mov (%esp), %ecx            // return address
    mov %ecx, 20(%eax)
    xor %eax, %eax
    ret

// void recovery_resume(struct recovery_point *point), never returns.
// Called from the exception handler: the exception frame below the saved ESP
// is simply dropped, which is fine at CPL 0 where no stack switch happened.
.global recovery_resume
recovery_resume:
    mov 4(%esp), %eax
    mov 0(%eax), %ebx
    mov 4(%eax), %esi
    mov 8(%eax), %edi
    mov 12(%eax), %ebp
    mov 16(%eax), %esp
    cld
    mov $1, %ecx
    xchg %ecx, %eax             // EAX = 1 (second return), ECX = point
    jmp *20(%ecx)

// No executable stack wanted (GNU ld warns without this note).
.section .note.GNU-stack, "", @progbits
