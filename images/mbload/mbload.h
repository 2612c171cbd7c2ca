/* mbload's parts (mbload.c says how they fit): the state taken from GRUB, the load plan,
 * and the steps of mbload_main, one file each. */
#ifndef MBLOAD_H
#define MBLOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "io.h"
#include "string.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_LOADER_MAGIC 0x2BADB002u
#define MB_SEARCH_LIMIT 8192          /* spec 3.1.1: header within the first 8 KiB */
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO_MODE (1u << 2)  /* we give no video info: SWEB must stay in text */
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_SUPPORTED_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MEM_MAP (1u << 6)
#define MB_INFO_BOOT_LOADER_NAME (1u << 9)
#define MB_MEMORY_AVAILABLE 1

#define MBI_BASE 0x10000u
#define MBI_LIMIT 0x20000u
#define GUEST_STACK_TOP MBI_BASE
#define LOW_MEM_END 0xA0000u           /* fallbacks when GRUB gives no memory map */
#define HIGH_MEM_START 0x100000u
#define FOUR_GIB 0x100000000ull
#define PAGE_SIZE 0x1000u

#define MAX_RANGES 32                  /* PT_LOAD segments a guest may have */
#define MAX_MMAP 64
#define MAX_GUEST_MODS 8
#define MOD_STRING_MAX 256
#define CMDLINE_MAX 4096
#define BOOT_LOADER_NAME "lab mbload"

#define COM1 0x3F8
#define DEBUG_PORT 0xE9

/* Multiboot 0.6.96, 3.3: the whole information block, VBE and framebuffer fields included
 * (we leave them zero and their flags clear). */
struct multiboot_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe_control_info, vbe_mode_info;
	u16 vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	u64 framebuffer_addr;
	u32 framebuffer_pitch, framebuffer_width, framebuffer_height;
	u8 framebuffer_bpp, framebuffer_type, color_info[6];
} __attribute__((packed));

struct multiboot_mmap_entry {
	u32 size;                      /* of the rest of the entry: 20 */
	u64 addr, len;
	u32 type;
} __attribute__((packed));

struct multiboot_module {
	u32 mod_start, mod_end, string, reserved;
} __attribute__((packed));

struct mb_header {
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr; /* flag 16 */
} __attribute__((packed));

/* ELF: System V ABI, ELF-64 Object File Format 1.5. Only what loading needs. */
#define ELF_MAGIC 0x464c457fu /* "\x7fELF" */
#define ELFCLASS32 1
#define ELFCLASS64 2
#define PT_LOAD 1

struct image {
	const u8 *data;
	u32 size;
};

/* One destination: memsz bytes at paddr, the first filesz from the file at offset. */
struct range {
	u64 paddr, memsz, filesz, offset;
};

/* What mbload keeps of GRUB's information, in its own .bss (see 1. above). */
struct boot {
	u32 mem_lower, mem_upper;
	bool have_mem;
	struct multiboot_mmap_entry mmap[MAX_MMAP];
	u32 nmmap;
	u32 mod_start, mod_end;
	char cmdline[CMDLINE_MAX];
	u32 nmods;                     /* the guest's own modules: GRUB's 1 and up */
	struct {
		u32 start, end;
		char string[MOD_STRING_MAX];
	} mods[MAX_GUEST_MODS];
};

/* The load plan: destinations and the entry point, all checked before any write. */
struct plan {
	struct range r[MAX_RANGES];
	u32 n;
	u64 entry;
};

extern struct boot boot;
extern struct plan plan;
extern const u8 __image_start[], __image_end[];

/* mbload.c */
void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...);
bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end);
bool in_ram(u64 start, u64 end);
/* plan.c: 2. */
void make_plan(const struct image *img);
/* place.c: 3. */
u32 move_module_clear(const struct image *img);
u32 park_at_top(const struct image *img);
void load(const u8 *file);
/* info.c: 4. */
u32 build_info(void);

/* ---- unaligned little-endian reads of the module ---- */

static inline u16 rd16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif
