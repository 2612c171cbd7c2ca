// Multiboot 1 entry of every test guest: header, flat GDT, own stack, then C.
//
// The loader leaves us in 32-bit protected mode with paging off, EAX = 0x2BADB002
// and EBX = the multiboot info; the GDT and stack it used are not ours to keep
// (Multiboot 0.6.96, section 3.2 "Machine state").

#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x3     // bit 0: page-align modules, bit 1: memory info
#define CODE_SELECTOR   0x08
#define DATA_SELECTOR   0x10
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
    mov %eax, %esi              // the loader's magic; EBX (info) is left alone

    // Zero .bss ourselves: a loader that copies only the file image leaves it dirty.
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $stack_top, %esp
    lgdt gdt_descriptor
    ljmp $CODE_SELECTOR, $1f    // reload CS from our GDT
1:  mov $DATA_SELECTOR, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss

    push %ebx                   // struct multiboot_info *
    push %esi                   // loader magic
    call lib_start              // never returns
2:  cli
    hlt
    jmp 2b

.section .rodata
.align 8
// Flat 4 GiB segments: base 0, limit 0xFFFFF in 4 KiB units, 32-bit
// (Intel SDM Vol. 3A, 3.4.5 "Segment Descriptors").
gdt:
    .quad 0                     // null descriptor
    .quad 0x00CF9A000000FFFF    // 0x08: code, execute/read, DPL 0
    .quad 0x00CF92000000FFFF    // 0x10: data, read/write, DPL 0
gdt_end:

gdt_descriptor:
    .word gdt_end - gdt - 1
    .long gdt

.section .bss
.align 16
stack_bottom:
    .skip STACK_SIZE
stack_top:

// No executable stack wanted (GNU ld warns without this note).
.section .note.GNU-stack, "", @progbits
