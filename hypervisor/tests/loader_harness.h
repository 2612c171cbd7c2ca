/*
 * The harness of test_loader.c: a 4 MiB guest (core/vm.c's vm_gpa_to_hva over a heap
 * block, so ASan guards its ends), the boot loader's module list, and builders for the
 * guest images. Multiboot keeps 32-bit addresses, so module data, strings and the list
 * live in a MAP_32BIT arena; everything in it but the live allocations is ASan-poisoned,
 * so the loader reading one byte outside a module is reported. Include core_harness.h first.
 */
#ifndef LOADER_HARNESS_H
#define LOADER_HARNESS_H

#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#include "multiboot.h"
#include "vm.h"

/* core/vm.c unshares a deduplicated page before a write; the loader runs before that. */
bool dedup_unshare(struct vm *vm, u64 gpa)
{
	(void)vm;
	(void)gpa;
	return false;
}

#define RAM_MIB 4
#define RAM_SIZE (RAM_MIB << 20)
#define ARENA_SIZE (16 << 20)
#define IMG_MAX 0x4000
#define PHOFF 0x80	/* program headers in the images built here */
#define DATA 0x200	/* segment bytes */

/* vm.c's page allocator (core/mem.c): the tests build no nested page tables. */
u64 page_alloc(void) { return 0; }
u64 pages_alloc_contig(u64 npages, u64 align) { (void)npages; (void)align; return 0; }
u64 mem_free_bytes(void) { return 0; }
/* cmdline.c's disk= word (core/disk.c): loader.c uses cmdline.c only for cmdline_words. */
bool disk_parse(const char *value, size_t len) { (void)value; (void)len; return false; }

/* The TSC rate drivers/i8254.c measures: the Linux loader hands it on (tsc_early_khz=). */
u64 tsc_khz = 2000000;

static struct vm vm;
static u8 *ram;
static u8 *arena;
static size_t arena_used;
static struct multiboot_info mbi;
static struct multiboot_module *mods;
static struct vcpu_boot boot;
static u8 img[IMG_MAX];	/* the image being built */

/* A fresh guest: RAM full of 0xCC, no modules, the arena empty and poisoned. */
static inline void reset(void)
{
	if (!ram) {
		ram = malloc(RAM_SIZE);
		arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (!ram || arena == MAP_FAILED)
			abort();
	}
	memset(ram, 0xCC, RAM_SIZE);
	vm = (struct vm){ .ram_hpa = (u64)ram, .ram_size = RAM_SIZE, .npt_root = 0x7654000 };
	ASAN_POISON_MEMORY_REGION(arena, ARENA_SIZE);
	arena_used = 64;
	boot = (struct vcpu_boot){ 0 };
	log_clear();
	memset(img, 0, sizeof(img));
	mods = NULL;
	mbi = (struct multiboot_info){ .flags = MULTIBOOT_INFO_MODS };
}

/* size bytes below 4 GiB with poisoned bytes on both sides. */
static inline void *low_alloc(size_t size)
{
	u8 *p = arena + ALIGN_UP(arena_used, 64);

	arena_used = p - arena + size + 64;
	if (arena_used > ARENA_SIZE)
		abort();
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	return p;
}

static inline u32 low(const void *p)
{
	return (u32)(u64)p;
}

/* Appends a module: a copy of size bytes of data, with its string. */
static inline void add_module(const void *data, size_t size, const char *string)
{
	struct multiboot_module *m = low_alloc((mbi.mods_count + 1) * sizeof(*m));
	u8 *copy = low_alloc(size);
	char *s = low_alloc(strlen(string) + 1);

	if (mods)
		memcpy(m, mods, mbi.mods_count * sizeof(*m));
	memcpy(copy, data, size);
	strcpy(s, string);
	m[mbi.mods_count++] = (struct multiboot_module){ low(copy), low(copy) + size, low(s), 0 };
	mods = m;
	mbi.mods_addr = low(m);
}

static inline bool load(void)
{
	return guest_load(&vm, &mbi, &boot);
}

/* Loads img[0, size) as the module "guest ARGS". */
static inline bool load_image(size_t size, const char *string)
{
	add_module(img, size, string);
	return load();
}

static inline void put16(size_t at, u16 v) { memcpy(img + at, &v, 2); }
static inline void put32(size_t at, u32 v) { memcpy(img + at, &v, 4); }
static inline void put64(size_t at, u64 v) { memcpy(img + at, &v, 8); }

/* A Multiboot header at `at`: magic, flags, checksum. */
static inline void mb_header(size_t at, u32 flags)
{
	put32(at, MULTIBOOT_HEADER_MAGIC);
	put32(at + 4, flags);
	put32(at + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
}

/* Flag 16's addresses after a header at `at`. */
static inline void aout_fields(size_t at, u32 header, u32 load, u32 load_end, u32 bss_end,
			       u32 entry)
{
	put32(at + 12, header);
	put32(at + 16, load);
	put32(at + 20, load_end);
	put32(at + 24, bss_end);
	put32(at + 28, entry);
}

/* An ELF header (class 1 or 2) with phnum program headers at PHOFF, and a Multiboot
 * header (flags 3) at 64; segment bytes at DATA are pat(k) for file offset k. */
static inline u8 pat(size_t k)
{
	return (u8)(k * 31 + 7);
}

static inline void elf(int class, u64 entry, u16 phnum)
{
	put32(0, 0x464C457F);
	img[4] = class;
	img[5] = 1;
	img[6] = 1;
	put16(16, 2);
	put16(18, class == 2 ? 62 : 3);
	if (class == 2) {
		put64(24, entry);
		put64(32, PHOFF);
		put16(52, 64);
		put16(54, 56);
		put16(56, phnum);
	} else {
		put32(24, entry);
		put32(28, PHOFF);
		put16(40, 52);
		put16(42, 32);
		put16(44, phnum);
	}
	mb_header(64, 3);
	for (size_t k = DATA; k < IMG_MAX; k++)
		img[k] = pat(k);
}

/* Program header i of an ELF of `class`. */
static inline void phdr(int class, unsigned i, u32 type, u64 offset, u64 vaddr, u64 paddr,
			u64 filesz, u64 memsz)
{
	if (class == 2) {
		size_t at = PHOFF + i * 56;

		put32(at, type);
		put64(at + 8, offset);
		put64(at + 16, vaddr);
		put64(at + 24, paddr);
		put64(at + 32, filesz);
		put64(at + 40, memsz);
	} else {
		size_t at = PHOFF + i * 32;

		put32(at, type);
		put32(at + 4, offset);
		put32(at + 8, vaddr);
		put32(at + 12, paddr);
		put32(at + 16, filesz);
		put32(at + 20, memsz);
	}
}

/* One PT_LOAD segment: filesz bytes from DATA to paddr (= vaddr), memsz in RAM. */
static inline void elf_one(int class, u64 paddr, u64 filesz, u64 memsz)
{
	elf(class, paddr, 1);
	phdr(class, 0, 1, DATA, paddr, paddr, filesz, memsz);
}

/* True if guest RAM at gpa holds the image's bytes [off, off + n). */
static inline bool ram_holds(u64 gpa, size_t off, size_t n)
{
	return !memcmp(ram + gpa, img + off, n);
}

static inline bool ram_is(u64 gpa, u8 byte, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ram[gpa + i] != byte)
			return false;
	return true;
}

/* The guest's view: a u32 at gpa, the string at gpa. */
static inline u32 ram32(u64 gpa)
{
	u32 v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static inline const char *ram_str(u64 gpa)
{
	return (const char *)ram + gpa;
}

#endif
