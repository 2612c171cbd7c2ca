/* Multiboot 1 (Multiboot Specification 0.6.96, section 3): what the boot loader hands us. */
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

#ifndef __ASSEMBLER__
#include "types.h"
#endif

#define MULTIBOOT_HEADER_MAGIC 0x1badb002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002

/* Header flags (spec 3.1.2). */
#define MULTIBOOT_PAGE_ALIGN 0x00000001 /* modules on 4 KiB boundaries */
#define MULTIBOOT_MEMORY_INFO 0x00000002 /* mem_* and mmap_* fields */

/* Info flags (spec 3.3). */
#define MULTIBOOT_INFO_MEMORY 0x001
#define MULTIBOOT_INFO_CMDLINE 0x004
#define MULTIBOOT_INFO_MODS 0x008
#define MULTIBOOT_INFO_MEM_MAP 0x040

#define MULTIBOOT_MEMORY_AVAILABLE 1

#ifndef __ASSEMBLER__
struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper; /* KiB below 1 MiB, KiB above 1 MiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	/* VBE and framebuffer fields follow; we ask for no video mode. */
} __packed;

/* One memory map entry; `size` does not count itself (spec 3.3). */
struct multiboot_mmap_entry {
	u32 size;
	u64 addr;
	u64 len;
	u32 type;
} __packed;

struct multiboot_module {
	u32 mod_start, mod_end; /* [start, end) physical */
	u32 string;
	u32 reserved;
} __packed;
#endif

#endif
