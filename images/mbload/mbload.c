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
#include "mbload.h"

struct boot boot;
struct plan plan;

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

void fail(const char *fmt, ...)
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
/* ---- RAM, as GRUB's memory map says ---- */

bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/* [start, end) lies in available RAM (type 1 entries, adjacent ones joined). */
bool in_ram(u64 start, u64 end)
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
