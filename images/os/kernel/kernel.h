// The kernel's functions, one group per file (like xv6's defs.h).
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "string.h"    // images/common

struct multiboot_info;
struct trapframe;

// console.c: where output goes, and the shared input queue and line editor.
#define CONSOLE_VGA     0x1
#define CONSOLE_SERIAL  0x2
#define CONSOLE_E9      0x4
void console_init(unsigned outputs);
void console_putc(char c);
void console_write(const char *s, size_t n);
void console_input(char c);                 // from an interrupt or a poll
int console_readline(char *buf, int size);  // blocks; returns the length, no newline
void console_start_line(void);              // newline unless at a line's start

// vga.c, uart.c, kbd.c: the devices behind the console.
void vga_init(void);
void vga_putc(char c);
void uart_init(void);
void uart_putc(char c);
void uart_poll_input(void);
void uart_drain(void);
void kbd_init(void);
void kbd_intr(void);

// printf.c: format.h's conversions.
void kprintf(const char *fmt, ...);
__attribute__((noreturn)) void panic(const char *fmt, ...);

// gdt.c, trap.c, pic.c, timer.c
void gdt_init(void);
void tss_set_kernel_stack(uint32_t esp0);
void idt_init(void);
void trap(struct trapframe *tf);
void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);
#define TIMER_HZ 100
extern volatile uint32_t ticks;
void timer_init(void);

// mem.c, vm.c: physical pages and address spaces.
void mem_init(const struct multiboot_info *info);
void *page_alloc(void);                     // zeroed, or NULL
void page_free(void *page);
uint32_t mem_free_pages(void);
uint32_t mem_top(void);
void vm_init(void);
uint32_t *vm_create(void);
bool vm_map_user(uint32_t *pd, uint32_t va, uint32_t len);
void vm_destroy(uint32_t *pd);
void vm_switch(uint32_t *pd);               // NULL: the kernel's own
bool vm_user_range_ok(uint32_t *pd, uint32_t va, uint32_t len);

// ata.c
struct ata_disk;
void ata_init(bool allow_multiple);
void ata_intr(int channel);
struct ata_disk *ata_disk(int index);       // NULL past the last one found
uint32_t ata_capacity(struct ata_disk *d);  // sectors reachable by CHS
int ata_read(struct ata_disk *d, uint32_t lba, uint32_t count, void *buf);
int ata_write(struct ata_disk *d, uint32_t lba, uint32_t count, const void *buf);
int ata_flush(struct ata_disk *d);

// fs.c: TeachFS (include/teachfs.h). A file is named by its directory slot.
bool fs_mount(void);
bool fs_mounted(void);
int fs_open(const char *path, int flags);   // O_* flags; the slot, or -1
uint32_t fs_size(int slot);
int fs_read(int slot, uint32_t offset, void *buf, uint32_t len);
int fs_write(int slot, uint32_t offset, const void *buf, uint32_t len);
int fs_unlink(const char *path);
int fs_sync(void);
const char *fs_entry(int index, uint32_t *size);  // for ls; NULL if unused; index < fs_entries()
int fs_entries(void);

// proc.c, syscall.c, usermode.S: user programs in ring 3.
bool proc_run(int argc, char **argv, int *exit_code);  // false: no such program
uint32_t *proc_page_directory(void);
__attribute__((noreturn)) void proc_exit(int code);
void syscall(struct trapframe *tf);
void syscall_close_all(void);
int user_run(uint32_t eip, uint32_t esp);
__attribute__((noreturn)) void user_return(int code);

// power.c
bool hv_present(void);
__attribute__((noreturn)) void power_off(void);

// shell.c
__attribute__((noreturn)) void shell_run(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
