// Physical pages: a free list of 4 KiB pages built from the Multiboot memory
// map, covering the RAM between the kernel's end and KERNEL_MEM_LIMIT.
#include "kernel.h"
#include "mmu.h"
#include "multiboot.h"

#define MAX_REGIONS 32

struct free_page {
    struct free_page *next;
};

struct region {
    uint32_t start, end;    // [start, end), page-aligned
};

extern char _end[];     // link.ld: the kernel image and its .bss end here
static struct free_page *free_list;
static uint32_t free_count, top;

static uint32_t clamp(uint64_t a)
{
    return a > KERNEL_MEM_LIMIT ? KERNEL_MEM_LIMIT : (uint32_t)a;
}

// Copy the usable regions out first: the loader's map may itself lie in a
// page we are about to put on the free list (and so overwrite).
static int read_memory_map(const struct multiboot_info *info, struct region *out)
{
    int n = 0;
    if (info && (info->flags & MULTIBOOT_INFO_MMAP)) {
        uint32_t p = info->mmap_addr, end = info->mmap_addr + info->mmap_length;
        while (p < end && n < MAX_REGIONS) {
            const struct multiboot_mmap_entry *e = (const void *)p;
            if (e->type == MULTIBOOT_MEMORY_AVAILABLE && e->addr < KERNEL_MEM_LIMIT) {
                out[n].start = PAGE_ROUND_UP((uint32_t)e->addr);
                out[n].end = PAGE_ROUND_DOWN(clamp(e->addr + e->len));
                n++;
            }
            p += e->size + sizeof(e->size);
        }
    } else if (info && (info->flags & MULTIBOOT_INFO_MEMORY)) {
        out[0].start = 0x100000;
        out[0].end = PAGE_ROUND_DOWN(clamp(0x100000 + (uint64_t)info->mem_upper * 1024));
        n = 1;
    }
    return n;
}

void mem_init(const struct multiboot_info *info)
{
    struct region regions[MAX_REGIONS];
    int n = read_memory_map(info, regions);
    if (n == 0)
        panic("the loader gave no memory map");
    uint32_t kernel_end = PAGE_ROUND_UP((uint32_t)_end);
    for (int i = 0; i < n; i++) {
        if (regions[i].end > top)
            top = regions[i].end;
        uint32_t start = regions[i].start > kernel_end ? regions[i].start : kernel_end;
        for (uint32_t a = start; a + PAGE_SIZE <= regions[i].end; a += PAGE_SIZE)
            page_free((void *)a);
    }
    if (free_count < 64)
        panic("only %u free pages", free_count);
}

void *page_alloc(void)
{
    struct free_page *p = free_list;
    if (!p)
        return NULL;
    free_list = p->next;
    free_count--;
    memset(p, 0, PAGE_SIZE);
    return p;
}

void page_free(void *page)
{
    struct free_page *p = page;
    p->next = free_list;
    free_list = p;
    free_count++;
}

uint32_t mem_free_pages(void)
{
    return free_count;
}

uint32_t mem_top(void)
{
    return top;
}
