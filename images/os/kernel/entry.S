// Multiboot 1 entry: the header, a stack, then kmain.
//
// The loader leaves us in 32-bit protected mode, paging off, interrupts off,
// EAX = 0x2BADB002, EBX = the multiboot information; its GDT and stack are
// not ours to keep (Multiboot 0.6.96, 3.2 "Machine state"). gdt_init loads
// our own GDT first thing.

#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x3     // bit 0: page-aligned modules, bit 1: memory map
#define STACK_SIZE      16384

.section .multiboot, "a"
.align 4
    .long MULTIBOOT_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

.text
.global _start
_start:
    cli
    cld
    mov %eax, %esi              // the loader's magic

    // A loader may copy only the file image, so clear .bss ourselves
    // (before the stack, which lives in it, is used).
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $boot_stack_top, %esp
    push %ebx                   // struct multiboot_info *
    push %esi
    call kmain
1:  cli
    hlt
    jmp 1b

.section .bss
.align 16
boot_stack:
    .skip STACK_SIZE
boot_stack_top:

.section .note.GNU-stack, "", @progbits
