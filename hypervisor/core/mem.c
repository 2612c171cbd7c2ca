/*
 * The physical page allocator. Free memory is the multiboot map's available
 * ranges (Multiboot Specification 3.3), within the 4 GiB that boot/entry.S maps,
 * minus the first MiB, our image, the multiboot info with everything it points to,
 * and the modules. Pages are handed out upwards and never freed (milestone 1 needs
 * a handful; a free list can come when something frees).
 */
#include "boot.h"
#include "lib.h"
#include "log.h"
#include "mem.h"

#define MAX_RANGES 32
#define MAX_EXCLUDED (16 + 2 * 16 + 16) /* + contiguous blocks */
#define MAPPED_LIMIT 0x100000000ULL /* identity mapped by boot/entry.S */
#define LOW_LIMIT 0x100000ULL       /* BIOS, VGA and option ROMs live below */

struct range {
	u64 start, end; /* [start, end) */
};

static struct range free_ranges[MAX_RANGES];
static int nr_free;
static struct range excluded[MAX_EXCLUDED];
static int nr_excluded;
static int cur;       /* range page_alloc takes from */
static u64 cur_next;  /* next candidate page in it */

static void exclude(u64 start, u64 len)
{
	if (len == 0)
		return;
	if (nr_excluded == MAX_EXCLUDED) {
		log_printf("mem: too many reserved ranges, treating the rest of memory as used\n");
		excluded[MAX_EXCLUDED - 1].end = MAPPED_LIMIT;
		return;
	}
	excluded[nr_excluded++] = (struct range){ ALIGN_DOWN(start, PAGE_SIZE),
						  ALIGN_UP(start + len, PAGE_SIZE) };
}

static void exclude_string(u32 addr)
{
	if (addr)
		exclude(addr, strlen((const char *)(u64)addr) + 1);
}

/* Sorted by start and merged, so that subtraction below is exact. */
static void sort_excluded(void)
{
	for (int i = 1; i < nr_excluded; i++)
		for (int j = i; j > 0 && excluded[j].start < excluded[j - 1].start; j--) {
			struct range t = excluded[j];

			excluded[j] = excluded[j - 1];
			excluded[j - 1] = t;
		}
	int n = 0;
	for (int i = 0; i < nr_excluded; i++) {
		if (n && excluded[i].start <= excluded[n - 1].end) {
			if (excluded[i].end > excluded[n - 1].end)
				excluded[n - 1].end = excluded[i].end;
		} else {
			excluded[n++] = excluded[i];
		}
	}
	nr_excluded = n;
}

static void add_free(u64 start, u64 end)
{
	start = ALIGN_UP(start < LOW_LIMIT ? LOW_LIMIT : start, PAGE_SIZE);
	end = ALIGN_DOWN(end > MAPPED_LIMIT ? MAPPED_LIMIT : end, PAGE_SIZE);
	if (start >= end)
		return;
	if (nr_free == MAX_RANGES) {
		log_printf("mem: more than %d free ranges, ignoring [%#lx, %#lx)\n", MAX_RANGES,
			   start, end);
		return;
	}
	free_ranges[nr_free++] = (struct range){ start, end };
}

static void exclude_boot_data(const struct multiboot_info *mbi)
{
	exclude(0, LOW_LIMIT);
	exclude((u64)__image_start, (u64)__image_end - (u64)__image_start);
	exclude((u64)mbi, sizeof(*mbi));
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		exclude_string(mbi->cmdline);
	if (mbi->flags & MULTIBOOT_INFO_MEM_MAP)
		exclude(mbi->mmap_addr, mbi->mmap_length);
	if (mbi->flags & MULTIBOOT_INFO_MODS) {
		const struct multiboot_module *mod = (const void *)(u64)mbi->mods_addr;

		exclude(mbi->mods_addr, mbi->mods_count * sizeof(*mod));
		for (u32 i = 0; i < mbi->mods_count; i++) {
			exclude(mod[i].mod_start, mod[i].mod_end - mod[i].mod_start);
			exclude_string(mod[i].string);
		}
	}
	sort_excluded();
}

void mem_init(const struct multiboot_info *mbi)
{
	u64 usable = 0;
	int regions = 0;

	exclude_boot_data(mbi);
	if (mbi->flags & MULTIBOOT_INFO_MEM_MAP) {
		u64 p = mbi->mmap_addr, end = p + mbi->mmap_length;

		while (p < end) {
			const struct multiboot_mmap_entry *e = (const void *)p;

			log_printf("mem: [%#014lx, %#014lx) type %u%s\n", e->addr, e->addr + e->len,
				   e->type, e->type == MULTIBOOT_MEMORY_AVAILABLE ? " usable" : "");
			if (e->type == MULTIBOOT_MEMORY_AVAILABLE) {
				usable += e->len;
				regions++;
				add_free(e->addr, e->addr + e->len);
			}
			p += e->size + sizeof(e->size);
		}
	} else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
		/* No map: the upper memory field counts KiB from 1 MiB up (spec 3.3). */
		usable = (u64)(mbi->mem_lower + mbi->mem_upper) * 1024;
		regions = 2;
		add_free(LOW_LIMIT, LOW_LIMIT + (u64)mbi->mem_upper * 1024);
	}
	if (nr_free)
		cur_next = free_ranges[0].start;
	log_printf("memory: %lu MiB usable in %d regions; %lu KiB free for the allocator\n",
		   usable >> 20, regions, mem_free_bytes() >> 10);
}

u64 mem_free_bytes(void)
{
	u64 total = 0;

	for (int i = cur; i < nr_free; i++) {
		u64 start = i == cur ? cur_next : free_ranges[i].start, end = free_ranges[i].end;

		total += end > start ? end - start : 0;
		for (int j = 0; j < nr_excluded; j++) {
			u64 s = excluded[j].start > start ? excluded[j].start : start;
			u64 e = excluded[j].end < end ? excluded[j].end : end;

			if (s < e)
				total -= e - s;
		}
	}
	return total;
}

u64 page_alloc(void)
{
	while (cur < nr_free) {
		u64 page = cur_next;
		bool taken = false;

		if (page >= free_ranges[cur].end) {
			if (++cur < nr_free)
				cur_next = free_ranges[cur].start;
			continue;
		}
		for (int j = 0; j < nr_excluded; j++)
			if (page >= excluded[j].start && page < excluded[j].end) {
				cur_next = excluded[j].end;
				taken = true;
				break;
			}
		if (taken)
			continue;
		cur_next = page + PAGE_SIZE;
		memset((void *)page, 0, PAGE_SIZE);
		return page;
	}
	return 0;
}

/* Does [start, end) meet an excluded range? */
static bool excluded_overlap(u64 start, u64 end)
{
	for (int j = 0; j < nr_excluded; j++)
		if (excluded[j].start < end && start < excluded[j].end)
			return true;
	return false;
}

/*
 * Contiguous blocks come from the top of the highest range that fits, so that
 * page_alloc, which climbs from the bottom, keeps its small pages together. A block
 * handed out becomes an excluded range, which page_alloc then steps over.
 */
u64 pages_alloc_contig(u64 npages, u64 align)
{
	u64 size = npages * PAGE_SIZE;

	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	for (int i = nr_free - 1; i >= cur; i--) {
		u64 low = i == cur ? cur_next : free_ranges[i].start;
		u64 end = free_ranges[i].end;

		while (end >= low + size) {
			u64 start = ALIGN_DOWN(end - size, align);

			if (start < low)
				break;
			if (!excluded_overlap(start, start + size)) {
				exclude(start, size);
				sort_excluded();
				memset((void *)start, 0, size);
				return start;
			}
			/* Retry below the lowest excluded range that meets the block. */
			for (int j = 0; j < nr_excluded; j++)
				if (excluded[j].start < start + size && start < excluded[j].end &&
				    excluded[j].start < end)
					end = excluded[j].start;
		}
	}
	return 0;
}
