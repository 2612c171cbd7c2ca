// The part of the Multiboot 1 information structure the tests may read
// (Multiboot 0.6.96, section 3.3 "Boot information format").
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002

#define MULTIBOOT_INFO_MEMORY  (1u << 0)   // mem_lower/mem_upper valid
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODULES (1u << 3)
#define MULTIBOOT_INFO_MMAP    (1u << 6)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;     // KiB below 1 MiB
    uint32_t mem_upper;     // KiB above 1 MiB
    uint32_t boot_device;
    uint32_t cmdline;       // physical address of a NUL-terminated string
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
};

// The text after KEY (such as "exit=") in the word of the command line that starts with
// it, or NULL when there is none (or no command line).
const char *cmdline_value(const struct multiboot_info *info, const char *key);
// The decimal number after KEY in VALUE; false when no word starts with KEY.
bool cmdline_number(const struct multiboot_info *info, const char *key, uint32_t *value);

// Every test guest defines this; its return value is the exit code.
// INFO is NULL when the loader did not hand over the Multiboot magic.
int main(struct multiboot_info *info);

#endif
