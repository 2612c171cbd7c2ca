/* mbload, step 4. the information block (see mbload.c). */
#include "mbload.h"

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

u32 build_info(void)
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
