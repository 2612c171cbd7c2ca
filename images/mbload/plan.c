/* mbload, step 2. the plan (see mbload.c). */
#include "mbload.h"

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

void make_plan(const struct image *img)
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
