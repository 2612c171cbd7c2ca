/*
 * mbload: a Multiboot 1 loader that GRUB 2 boots in place of a guest kernel (the lab's
 * direct boots on Bochs, which has no -kernel loader). Module 0 is the guest kernel; its
 * string is `guest ARGS`. mbload loads the guest and enters it as Multiboot 0.6.96 and QEMU's
 * -kernel loader do, with an information block of its own: mem_lower/mem_upper (flag 0), the
 * command line ARGS (flag 2), GRUB's memory map (flag 6) and a boot loader name (flag 9).
 * No VBE or framebuffer information (flags 11 and 12) as GRUB 2 gives: SWEB would switch to
 * a VESA console and leave the VGA text screen blank. No boot device.
 *
 * GRUB's modules 1 and up are the guest's own modules (`guest-module NAME`, as the lab gives
 * them to a hypervisor, CONTRACT.md 2): they reach the guest as its modules 0 and up (flag 3),
 * with the string NAME, placed page-aligned at the top of RAM below 4 GiB, where a guest
 * that allocates upwards from its end (kvm-unit-tests) meets them last.
 *
 * The loading itself is the reference hypervisor's guest loader (hypervisor/core/loader.c):
 * the header search, the required flags (bits 0-15; 0, 1 and 2 are supported, bit 2 by
 * giving no video), the a.out kludge of flag 16, ELF32/ELF64 PT_LOAD segments at p_paddr
 * with a virtual entry point translated, the info block from MBI_BASE up, the stack below it.
 *
 * Why the copies cannot clobber what is still to be read (GRUB's relocator gives mbload's
 * image, the module and GRUB's info block disjoint chunks, but puts them anywhere else):
 *  1. Before anything outside mbload is written, everything taken from GRUB (the memory
 *     sizes and map, the module's place and string) is copied into mbload's .bss: GRUB's
 *     info block may lie where the guest's segments or our info block go.
 *  2. The destination ranges are planned from the module's headers, read in place, and
 *     checked: in RAM, below 4 GiB, clear of mbload's image (link.ld) and of everything below
 *     MBI_LIMIT (stack and info block).
 *  3. The module is then moved, with memmove (correct when source and target overlap), to a
 *     scratch range that intersects no destination, not mbload and nothing below MBI_LIMIT;
 *     where GRUB put it already qualifies, it stays. From then on the scratch copy is the
 *     only source, and loading writes only destinations: no write lands on unread source.
 *  4. The info block is written last, from the .bss copies, below MBI_LIMIT, which neither
 *     the destinations nor the scratch range touch.
 * Both cases are real: GRUB 2.06 on Bochs puts its own info block at 0x10000, where ours
 * goes, and SWEB's file at 0x109000, inside SWEB's destination [0x100000, 0x165000), so it
 * moves to 0x165000 (measured with 8 and 64 MiB).
 *
 * Errors print one line to port 0xE9 and COM1 and halt.
 */
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

static struct boot boot;
static struct plan plan;

extern const u8 __image_start[], __image_end[];

void mbload_main(u32 magic, const struct multiboot_info *grub) __attribute__((noreturn));
void enter_guest(u32 entry, u32 info, u32 stack_top) __attribute__((noreturn));

/* ---- the one-line error ---- */

struct line {
	char text[160];
	u32 len;
};

static void line_put(char c, void *ctx)
{
	struct line *l = ctx;

	if (l->len + 1 < sizeof(l->text))
		l->text[l->len++] = c;
}

static void com1_write(const char *s, u32 len)
{
	outb(COM1 + 1, 0);             /* no interrupts */
	outb(COM1 + 3, 0x80);          /* DLAB */
	outb(COM1 + 0, 1);             /* 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);          /* 8N1 */
	outb(COM1 + 2, 0x07);          /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03);          /* DTR, RTS */
	for (u32 i = 0; i < len; i++) {
		/* a UART that never says ready must not hang us: write anyway after a while */
		for (u32 poll = 0; poll < 1000000 && !(inb(COM1 + 5) & 0x20); poll++)
			;
		outb(COM1, (u8)s[i]);
	}
	for (u32 poll = 0; poll < 1000000 && !(inb(COM1 + 5) & 0x40); poll++)
		;
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	struct line l = { .len = 0 };
	va_list ap;

	for (const char *p = "mbload: "; *p; p++)
		line_put(*p, &l);
	va_start(ap, fmt);
	format(line_put, &l, fmt, ap);
	va_end(ap);
	line_put('\n', &l);
	/* The whole line to 0xE9 first, then to COM1. A lab console merges both, and COM1's
	 * bytes come one by one: a pause lets the 0xE9 line arrive before them, or it could
	 * land inside the COM1 copy (seen on Bochs). */
	outsb(DEBUG_PORT, l.text, l.len);
	for (u32 i = 0; i < 2000000; i++)
		asm volatile("pause");
	com1_write(l.text, l.len);
	for (;;)
		asm volatile("cli; hlt");
}

/* ---- unaligned little-endian reads of the module ---- */

static u16 rd16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* ---- RAM, as GRUB's memory map says ---- */

static bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/* [start, end) lies in available RAM (type 1 entries, adjacent ones joined). */
static bool in_ram(u64 start, u64 end)
{
	u64 pos = start;

	while (pos < end) {
		bool found = false;

		for (u32 i = 0; i < boot.nmmap && !found; i++) {
			const struct multiboot_mmap_entry *e = &boot.mmap[i];

			if (e->type == MB_MEMORY_AVAILABLE && e->addr <= pos && pos < e->addr + e->len) {
				pos = e->addr + e->len;
				found = true;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

/* ---- 1. what GRUB gave ---- */

static void take_grub_info(const struct multiboot_info *grub)
{
	const struct multiboot_module *mods = (const void *)grub->mods_addr;
	const char *s, *args;

	if (grub->flags & MB_INFO_MEMORY) {
		boot.mem_lower = grub->mem_lower;
		boot.mem_upper = grub->mem_upper;
		boot.have_mem = true;
	}
	if (grub->flags & MB_INFO_MEM_MAP) {
		u32 off = 0;

		while (off + 4 <= grub->mmap_length) {
			const u8 *e = (const u8 *)grub->mmap_addr + off;
			u32 size = rd32(e);

			if (size < 20 || off + 4 + size > grub->mmap_length)
				break;
			if (boot.nmmap == MAX_MMAP)
				fail("GRUB's memory map has more than %d entries", MAX_MMAP);
			boot.mmap[boot.nmmap++] = (struct multiboot_mmap_entry){
				20, rd64(e + 4), rd64(e + 12), rd32(e + 20) };
			off += 4 + size;
		}
	}
	if (!boot.nmmap && boot.have_mem) {  /* no map: the two ranges the sizes describe */
		boot.mmap[0] = (struct multiboot_mmap_entry){ 20, 0, (u64)boot.mem_lower << 10,
							      MB_MEMORY_AVAILABLE };
		boot.mmap[1] = (struct multiboot_mmap_entry){ 20, HIGH_MEM_START,
							      (u64)boot.mem_upper << 10,
							      MB_MEMORY_AVAILABLE };
		boot.nmmap = 2;
	}
	if (!boot.nmmap)
		fail("GRUB gave neither memory sizes nor a memory map");
	if (!boot.have_mem) {  /* no sizes: the map's RAM at 0 and at 1 MiB, as GRUB counts */
		for (u32 i = 0; i < boot.nmmap; i++) {
			const struct multiboot_mmap_entry *e = &boot.mmap[i];
			u64 end = e->addr + e->len;

			if (e->type != MB_MEMORY_AVAILABLE)
				continue;
			if (e->addr == 0)
				boot.mem_lower = (end < LOW_MEM_END ? end : LOW_MEM_END) >> 10;
			if (e->addr <= HIGH_MEM_START && end > HIGH_MEM_START)
				boot.mem_upper = ((end < FOUR_GIB ? end : FOUR_GIB) - HIGH_MEM_START) >> 10;
		}
	}

	if (!(grub->flags & MB_INFO_MODS) || grub->mods_count == 0)
		fail("no module: GRUB must load the guest kernel as module 0");
	boot.mod_start = mods[0].mod_start;
	boot.mod_end = mods[0].mod_end;
	if (boot.mod_end < boot.mod_start)
		fail("module 0 ends (0x%x) before it starts (0x%x)", boot.mod_end, boot.mod_start);

	/* The guest's command line: the module string minus a leading `guest` word. */
	s = mods[0].string ? (const char *)mods[0].string : "";
	args = s;
	if (!strncmp(s, "guest", 5) && (s[5] == ' ' || s[5] == '\0'))
		for (args = s + 5; *args == ' '; args++)
			;
	if (strlcpy(boot.cmdline, args, sizeof(boot.cmdline)) >= sizeof(boot.cmdline))
		fail("the guest's command line is longer than %d bytes", CMDLINE_MAX - 1);

	if (grub->mods_count - 1 > MAX_GUEST_MODS)
		fail("the guest has %u modules; mbload passes at most %d", grub->mods_count - 1,
		     MAX_GUEST_MODS);
	for (u32 i = 1; i < grub->mods_count; i++) {
		const char *name = mods[i].string ? (const char *)mods[i].string : "";

		if (!strncmp(name, "guest-module ", 13))  /* the role word goes, as for `guest` */
			name += 13;
		if (mods[i].mod_end < mods[i].mod_start)
			fail("module %u ends (0x%x) before it starts (0x%x)", i, mods[i].mod_end,
			     mods[i].mod_start);
		boot.mods[boot.nmods].start = mods[i].mod_start;
		boot.mods[boot.nmods].end = mods[i].mod_end;
		if (strlcpy(boot.mods[boot.nmods].string, name, MOD_STRING_MAX) >= MOD_STRING_MAX)
			fail("module %u's string is longer than %d bytes", i, MOD_STRING_MAX - 1);
		boot.nmods++;
	}
}

/* ---- 2. the plan, from the module's headers read in place ---- */

static const struct mb_header *find_header(const struct image *img)
{
	u32 limit = img->size < MB_SEARCH_LIMIT ? img->size : MB_SEARCH_LIMIT;

	for (u32 off = 0; off + 12 <= limit; off += 4) {
		const u8 *h = img->data + off;
		u32 magic = rd32(h), flags = rd32(h + 4), checksum = rd32(h + 8);

		if (magic == MULTIBOOT_HEADER_MAGIC && magic + flags + checksum == 0)
			return (const struct mb_header *)h;
	}
	return 0;
}

static void add_range(struct range r)
{
	if (plan.n == MAX_RANGES)
		fail("the guest has more than %d loadable segments", MAX_RANGES);
	plan.r[plan.n++] = r;
}

/* Spec 3.1.3: the address fields of header flag 16. */
static void plan_aout(const struct image *img, const struct mb_header *h)
{
	u32 hdr_off = (u32)((const u8 *)h - img->data);
	u64 start_off, load_end, bss_end;

	if (hdr_off + sizeof(*h) > img->size)
		fail("the guest's Multiboot header (flag 16) runs past the end of the file");
	start_off = (u64)hdr_off - ((u64)h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr : (u64)h->load_addr + img->size - start_off;
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (h->header_addr < h->load_addr || hdr_off < h->header_addr - h->load_addr ||
	    load_end < h->load_addr || start_off + (load_end - h->load_addr) > img->size ||
	    bss_end < load_end)
		fail("inconsistent a.out kludge addresses in the guest's Multiboot header");
	add_range((struct range){ h->load_addr, bss_end - h->load_addr, load_end - h->load_addr,
				  start_off });
	plan.entry = h->entry_addr;
}

/*
 * PT_LOAD segments go to their physical addresses. An entry point that is a virtual
 * address inside a segment (SWEB: 0x801001e1) is translated to its physical address,
 * as GRUB does.
 */
static void plan_elf(const struct image *img)
{
	const u8 *e = img->data;
	bool is64 = e[4] == ELFCLASS64;
	u64 phoff = is64 ? rd64(e + 32) : rd32(e + 28);
	u16 phentsize = rd16(e + (is64 ? 54 : 42));
	u16 phnum = rd16(e + (is64 ? 56 : 44));
	u64 entry = is64 ? rd64(e + 24) : rd32(e + 24);

	plan.entry = entry;
	for (u32 i = 0; i < phnum; i++) {
		const u8 *ph = e + phoff + (u64)i * phentsize;
		struct range r;
		u64 vaddr;

		if (phoff + (u64)(i + 1) * phentsize > img->size)
			fail("the guest's ELF program headers run past the end of the file");
		if (rd32(ph) != PT_LOAD)
			continue;
		if (is64) {
			r = (struct range){ rd64(ph + 24), rd64(ph + 40), rd64(ph + 32), rd64(ph + 8) };
			vaddr = rd64(ph + 16);
		} else {
			r = (struct range){ rd32(ph + 12), rd32(ph + 20), rd32(ph + 16), rd32(ph + 4) };
			vaddr = rd32(ph + 8);
		}
		if (r.memsz == 0)
			continue;
		if (r.filesz > r.memsz || r.offset + r.filesz > img->size)
			fail("the guest's ELF segment %u runs past the end of the file", i);
		if (entry >= vaddr && entry - vaddr < r.memsz)
			plan.entry = entry - vaddr + r.paddr;
		add_range(r);
	}
	if (!plan.n)
		fail("the guest's ELF file has no PT_LOAD segment");
}

static void make_plan(const struct image *img)
{
	const struct mb_header *h = find_header(img);
	u32 required;

	if (!h)
		fail("the guest is not a Multiboot kernel: no header with magic 0x%x in its "
		     "first 8 KiB", MULTIBOOT_HEADER_MAGIC);
	required = (h->flags & 0xffff) & ~MB_SUPPORTED_REQUIRED;
	if (required)
		fail("the guest's Multiboot header requires flags 0x%x that mbload does not support",
		     required);
	if (h->flags & MB_FLAG_AOUT_KLUDGE)
		plan_aout(img, h);
	else if (img->size < 64 || rd32(img->data) != ELF_MAGIC ||
		 (img->data[4] != ELFCLASS32 && img->data[4] != ELFCLASS64))
		fail("the guest has a Multiboot header without flag 16, but is not an "
		     "ELF32/ELF64 file");
	else
		plan_elf(img);

	for (u32 i = 0; i < plan.n; i++) {
		u64 start = plan.r[i].paddr, end = start + plan.r[i].memsz;

		if (end > FOUR_GIB || end < start || !in_ram(start, end))
			fail("the guest's segment [0x%llx, 0x%llx) is not inside RAM", start, end);
		if (start < MBI_LIMIT)
			fail("the guest's segment [0x%llx, 0x%llx) starts below 0x%x, where its stack "
			     "and Multiboot information go", start, end, MBI_LIMIT);
		if (overlaps(start, end, (u32)__image_start, (u32)__image_end))
			fail("the guest's segment [0x%llx, 0x%llx) overlaps mbload at [0x%x, 0x%x)",
			     start, end, (u32)__image_start, (u32)__image_end);
	}
	if (plan.entry >= FOUR_GIB)
		fail("the guest's entry point 0x%llx is above 4 GiB", plan.entry);
}

/* ---- 3. a safe place for the module, then the copies ---- */

static bool scratch_ok(u64 at, u32 size)
{
	u64 end = at + size;

	if (at < MBI_LIMIT || end > FOUR_GIB || !in_ram(at, end))
		return false;
	if (overlaps(at, end, (u32)__image_start, (u32)__image_end))
		return false;
	for (u32 i = 0; i < plan.n; i++)
		if (overlaps(at, end, plan.r[i].paddr, plan.r[i].paddr + plan.r[i].memsz))
			return false;
	return true;
}

/* Where GRUB put the module if that is clear of every destination, else the first place
 * at 1 MiB or right after a destination that is. Returns the module's new address. */
static u32 move_module_clear(const struct image *img)
{
	u64 at = (u32)img->data;

	if (!scratch_ok(at, img->size)) {
		at = HIGH_MEM_START;
		for (u32 i = 0; !scratch_ok(at, img->size); i++) {
			if (i == plan.n)
				fail("no room in RAM for the guest file (%u bytes) clear of its segments",
				     img->size);
			at = (plan.r[i].paddr + plan.r[i].memsz + PAGE_SIZE - 1) & ~(u64)(PAGE_SIZE - 1);
		}
		memmove((void *)(u32)at, img->data, img->size);
	}
	return (u32)at;
}

/*
 * The guest's modules, and the guest file with them (it is read after the modules are
 * placed), go page-aligned to the top of RAM below 4 GiB, packed downwards. The area must be
 * clear of every destination, of mbload and of everything below MBI_LIMIT, and of every
 * source not yet copied: with that checked first, the copies cannot clobber anything still
 * to be read. GRUB puts modules low, right after its kernel, so the top is free unless the
 * files take most of RAM; then it says so. Returns the guest file's new address.
 */
static u32 park_at_top(const struct image *img)
{
	u64 top = 0, at;
	u32 file_at, starts[MAX_GUEST_MODS];

	for (u32 i = 0; i < boot.nmmap; i++) {
		const struct multiboot_mmap_entry *e = &boot.mmap[i];
		u64 end = e->addr + e->len < FOUR_GIB ? e->addr + e->len : FOUR_GIB;

		if (e->type == MB_MEMORY_AVAILABLE && e->addr < FOUR_GIB && end > top)
			top = end;
	}
	at = top & ~(u64)(PAGE_SIZE - 1);
	for (u32 i = 0; i < boot.nmods; i++) {
		u32 size = boot.mods[i].end - boot.mods[i].start;

		at = (at - size) & ~(u64)(PAGE_SIZE - 1);
		starts[i] = (u32)at;
	}
	at = (at - img->size) & ~(u64)(PAGE_SIZE - 1);
	file_at = (u32)at;
	if (at > top || !scratch_ok(at, (u32)(top - at)) ||
	    overlaps(at, top, (u32)img->data, (u32)img->data + img->size))
		fail("no room at the top of RAM for the guest file and its modules clear of its "
		     "segments");
	for (u32 i = 0; i < boot.nmods; i++)
		if (overlaps(at, top, boot.mods[i].start, boot.mods[i].end))
			fail("no room at the top of RAM for the guest's modules clear of where GRUB "
			     "put them");
	memcpy((void *)file_at, img->data, img->size);
	for (u32 i = 0; i < boot.nmods; i++) {
		u32 size = boot.mods[i].end - boot.mods[i].start;

		memcpy((void *)starts[i], (const void *)boot.mods[i].start, size);
		boot.mods[i].start = starts[i];
		boot.mods[i].end = starts[i] + size;
	}
	return file_at;
}

static void load(const u8 *file)
{
	for (u32 i = 0; i < plan.n; i++) {
		const struct range *r = &plan.r[i];
		u8 *dst = (u8 *)(u32)r->paddr;

		memcpy(dst, file + r->offset, r->filesz);
		memset(dst + r->filesz, 0, r->memsz - r->filesz);
	}
}

/* ---- 4. the information block ---- */

struct info_area {
	u32 next;
};

static void *info_alloc(struct info_area *a, u32 size, u32 *at)
{
	void *p;

	a->next = (a->next + 7) & ~7u;
	if (a->next + size > MBI_LIMIT)
		fail("the Multiboot information does not fit below 0x%x", MBI_LIMIT);
	p = (void *)a->next;
	*at = a->next;
	a->next += size;
	return p;
}

static u32 info_string(struct info_area *a, const char *s)
{
	u32 len = strlen(s) + 1, at;

	memcpy(info_alloc(a, len, &at), s, len);
	return at;
}

static u32 build_info(void)
{
	struct info_area a = { MBI_BASE };
	struct multiboot_info *mbi;
	u32 info, mmap_at, mmap_len = boot.nmmap * sizeof(boot.mmap[0]);

	mbi = info_alloc(&a, sizeof(*mbi), &info);
	memset(mbi, 0, sizeof(*mbi));
	memcpy(info_alloc(&a, mmap_len, &mmap_at), boot.mmap, mmap_len);
	mbi->flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP |
		     MB_INFO_BOOT_LOADER_NAME;
	mbi->mem_lower = boot.mem_lower;
	mbi->mem_upper = boot.mem_upper;
	mbi->mmap_addr = mmap_at;
	mbi->mmap_length = mmap_len;
	mbi->cmdline = info_string(&a, boot.cmdline);
	mbi->boot_loader_name = info_string(&a, BOOT_LOADER_NAME);
	if (boot.nmods) {
		u32 mods_at;
		struct multiboot_module *mods = info_alloc(&a, boot.nmods * sizeof(*mods), &mods_at);

		for (u32 i = 0; i < boot.nmods; i++)
			mods[i] = (struct multiboot_module){ boot.mods[i].start, boot.mods[i].end,
							     info_string(&a, boot.mods[i].string), 0 };
		mbi->mods_addr = mods_at;
		mbi->mods_count = boot.nmods;
		mbi->flags |= MB_INFO_MODS;
	}
	return info;
}

void mbload_main(u32 magic, const struct multiboot_info *grub)
{
	struct image img;

	if (magic != MULTIBOOT_LOADER_MAGIC)
		fail("not started by a Multiboot loader (EAX 0x%x)", magic);
	take_grub_info(grub);
	img = (struct image){ (const u8 *)boot.mod_start, boot.mod_end - boot.mod_start };
	make_plan(&img);
	if (boot.nmods)
		img.data = (const u8 *)park_at_top(&img);
	load((const u8 *)move_module_clear(&img));
	enter_guest((u32)plan.entry, build_info(), GUEST_STACK_TOP);
}
