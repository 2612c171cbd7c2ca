/* mbload, step 3. the module's safe place and the copies (see mbload.c). */
#include "mbload.h"

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
u32 move_module_clear(const struct image *img)
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
u32 park_at_top(const struct image *img)
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

void load(const u8 *file)
{
	for (u32 i = 0; i < plan.n; i++) {
		const struct range *r = &plan.r[i];
		u8 *dst = (u8 *)(u32)r->paddr;

		memcpy(dst, file + r->offset, r->filesz);
		memset(dst + r->filesz, 0, r->memsz - r->filesz);
	}
}
