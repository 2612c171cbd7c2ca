// mbload's Multiboot 1 entry: header, own flat GDT and stack, then C; and the jump
// into the guest with the machine state of Multiboot 0.6.96, section 3.2.
//
// GRUB leaves us in 32-bit protected mode with paging off, EAX = 0x2BADB002 and
// EBX = its information block. Its GDT may lie where the guest's segments go, so we
// run on our own (the guest inherits it: flat segments, as the spec asks of CS/DS/ES/
// FS/GS/SS, and the descriptors stay cached in the segment registers even after the
// guest overwrites mbload).

#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x3     // bit 0: page-align modules, bit 1: memory info and map
#define LOADER_MAGIC    0x2BADB002
#define CODE_SELECTOR   0x08
#define DATA_SELECTOR   0x10
#define STACK_SIZE      8192

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
    mov %eax, %esi              // GRUB's magic and info block: EDI and ECX go to the
    mov %ebx, %edx              // zeroing below, ESI and EDX are left alone

    // Zero .bss (our stack and the copies of GRUB's information) ourselves.
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    mov $stack_top, %esp
    lgdt gdt_descriptor
    ljmp $CODE_SELECTOR, $1f
1:  mov $DATA_SELECTOR, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss

    push %edx                   // GRUB's struct multiboot_info *
    push %esi                   // GRUB's magic
    call mbload_main            // never returns
2:  cli
    hlt
    jmp 2b

// void enter_guest(uint32_t entry, uint32_t info, uint32_t stack_top): the spec's
// machine state (3.2): EAX = 0x2BADB002, EBX = the info block, flat 32-bit segments
// (ours), paging off (GRUB left it off), IF and VM clear; ESP valid (SWEB relies on
// one). The other general registers are zeroed so every boot starts alike.
.global enter_guest
enter_guest:
    mov 4(%esp), %ecx
    mov 8(%esp), %ebx
    mov 12(%esp), %esp
    pushl $0x2                  // EFLAGS: only the reserved bit 1
    popfl
    mov $LOADER_MAGIC, %eax
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    jmp *%ecx

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
    .skip STACK_SIZE
stack_top:

// No executable stack wanted (GNU ld warns without this note).
.section .note.GNU-stack, "", @progbits
