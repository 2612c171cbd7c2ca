// The 32 exception vectors and the 16 PIC vectors 0x20-0x2F (irq.h): each stub makes
// the stack look the same (error code, vector, then PUSHA) and calls
// exception_dispatch(struct exception_frame *), which hands 0x20 and up to irq_dispatch.
//
// Only vectors 8, 10-14, 17, 21, 29 and 30 push an error code
// (Intel SDM Vol. 3A, 6.15 "Exception and Interrupt Reference";
// AMD APM Vol. 2, 8.2 for #VC 29 and #SX 30); the others get a 0 pushed here.

.macro stub_without_error_code vector
vector_\vector:
    push $0
    push $\vector
    jmp exception_common
.endm

.macro stub_with_error_code vector
vector_\vector:
    push $\vector
    jmp exception_common
.endm

.text
.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    stub_without_error_code \v
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    stub_without_error_code \v
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
    stub_with_error_code \v
.endr

exception_common:
    cld                         // C code assumes DF = 0; the faulting code may have set it
    pusha
    push %esp                   // struct exception_frame *
    call exception_dispatch
    add $4, %esp
    popa
    add $8, %esp                // vector and error code
    iret

.section .rodata
.align 4
.global exception_stubs
exception_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .long vector_\v
.endr

// No executable stack wanted (GNU ld warns without this note).
.section .note.GNU-stack, "", @progbits
