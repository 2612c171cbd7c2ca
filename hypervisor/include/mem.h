/* Physical page allocator over the multiboot memory map. */
#ifndef MEM_H
#define MEM_H

#include "multiboot.h"
#include "types.h"

void mem_init(const struct multiboot_info *mbi);
/* One zeroed 4 KiB page, identity mapped; 0 when memory is exhausted. */
u64 page_alloc(void);
/*
 * npages zeroed, physically contiguous pages whose start is a multiple of align
 * (a power of two, at least 4 KiB), identity mapped; 0 when no range has room.
 */
u64 pages_alloc_contig(u64 npages, u64 align);
u64 mem_free_bytes(void);

#endif
