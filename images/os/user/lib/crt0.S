// Program entry: the kernel starts us with ESP -> argc, argv (kernel/proc.c),
// which is exactly what main(argc, argv) finds above its return address.
.text
.global _start
_start:
    call main
    push %eax
    call exit                   // never returns

.section .note.GNU-stack, "", @progbits
