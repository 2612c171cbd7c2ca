/*
 * The guest loader: the hypervisor acts as the guest's Multiboot 1 boot loader
 * (Multiboot Specification 0.6.96), or hands a Linux bzImage to core/linuxboot.c. It finds the header in the `guest` module,
 * loads the kernel (ELF32/ELF64 PT_LOAD segments at p_paddr, or the a.out kludge
 * of header flag 16), copies each `guest-module` into guest RAM, and builds the
 * information block (spec 3.3) in low memory. The vCPU then starts as the spec's
 * 3.2 "Machine state" asks: 32-bit flat protected mode, paging off, EAX = 0x2BADB002,
 * EBX = the info block.
 *
 * Guest-physical layout: the info block, its strings, memory map and module list
 * from MBI_BASE up; a stack below MBI_BASE (SWEB needs a valid ESP); the kernel where
 * it asks, outside those two and above the real-mode interrupt table and BIOS data area a
 * PC's firmware leaves (kvm-unit-tests' realmode loads at 0x8000); the modules
 * page-aligned after the kernel's end, or at 1 MiB for a kernel below the info block.
 */
#include "cmdline.h"
#include "hostirq.h"
#include "lib.h"
#include "linuxboot.h"
#include "log.h"
#include "multiboot.h"
#include "vm.h"

#define MB_SEARCH_LIMIT 8192          /* spec 3.1.1: header within the first 8 KiB */
#define MB_FLAG_PAGE_ALIGN BIT(0)
#define MB_FLAG_MEMORY_INFO BIT(1)
#define MB_FLAG_VIDEO_MODE BIT(2)     /* we give no video info: SWEB must stay in text */
#define MB_FLAG_AOUT_KLUDGE BIT(16)
#define MB_SUPPORTED_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)
#define MB_INFO_BOOT_LOADER_NAME BIT(9)

#define MBI_BASE 0x10000ULL
#define MBI_LIMIT 0x20000ULL
#define GUEST_STACK_TOP MBI_BASE
#define GUEST_STACK_SIZE 0x2000ULL     /* kept free for the kernel's first pushes */
#define BIOS_DATA_END 0x500ULL         /* the IVT (0-0x3FF) and BIOS data area (0x400-0x4FF) */
#define MAX_GUEST_MODULES 16

struct mb_header {
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr; /* flag 16 */
} __packed;

/* ELF: System V ABI, ELF-64 Object File Format 1.5. Only what loading needs. */
#define ELF_MAGIC 0x464c457f /* "\x7fELF" */
#define ELFCLASS32 1
#define ELFCLASS64 2
#define PT_LOAD 1
#define PT_NOTE 4
/* Xen's ELF note of a PVH kernel's 32-bit entry (xen/include/public/elfnote.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define ELF32_PHDR_SIZE 32 /* sizeof(Elf32_Phdr): TIS ELF 1.2, "Program Header" */
#define ELF64_PHDR_SIZE 56 /* sizeof(Elf64_Phdr): ELF-64 1.5, "Program header table" */

struct elf_segment {
	u64 offset, paddr, vaddr, filesz, memsz;
};

struct image {
	const u8 *data;
	u64 size;
};

struct loaded {
	u64 entry;       /* entry point (guest-physical) */
	u64 start, end;  /* lowest and highest byte + 1 of the kernel (guest-physical) */
};

static bool copy_in(struct vm *vm, u64 gpa, const void *src, u64 filesz, u64 memsz)
{
	u8 *dst = vm_gpa_to_hva(vm, gpa, memsz);

	if (!dst || filesz > memsz) {
		log_printf("loader: segment [%#lx, %#lx) is not inside guest RAM (%lu MiB)\n",
			   gpa, gpa + memsz, vm->ram_size >> 20);
		return false;
	}
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	return true;
}

static const struct mb_header *find_header(const struct image *img)
{
	u64 limit = img->size < MB_SEARCH_LIMIT ? img->size : MB_SEARCH_LIMIT;

	for (u64 off = 0; off + 12 <= limit; off += 4) {
		const struct mb_header *h = (const void *)(img->data + off);

		if (h->magic == MULTIBOOT_HEADER_MAGIC && h->magic + h->flags + h->checksum == 0)
			return h;
	}
	return NULL;
}

/* Spec 3.1.3: the address fields of header flag 16. */
static bool load_aout(struct vm *vm, const struct image *img, const struct mb_header *h,
		      struct loaded *out)
{
	u64 hdr_off = (const u8 *)h - img->data;
	u64 start_off = hdr_off - (h->header_addr - h->load_addr);
	u64 load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + img->size - start_off;
	u64 bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;

	if (h->header_addr < h->load_addr || hdr_off < h->header_addr - h->load_addr ||
	    load_end < h->load_addr || start_off + (load_end - h->load_addr) > img->size ||
	    bss_end < load_end) {
		log_printf("loader: inconsistent a.out kludge addresses in the Multiboot header\n");
		return false;
	}
	if (!copy_in(vm, h->load_addr, img->data + start_off, load_end - h->load_addr,
		     bss_end - h->load_addr))
		return false;
	out->entry = h->entry_addr;
	out->start = h->load_addr;
	out->end = bss_end;
	return true;
}

static bool elf_segment(const struct image *img, unsigned i, struct elf_segment *s, u32 *type)
{
	const u8 *e = img->data;
	bool is64 = e[4] == ELFCLASS64;
	u64 phoff = is64 ? *(const u64 *)(e + 32) : *(const u32 *)(e + 28);
	u16 phentsize = *(const u16 *)(e + (is64 ? 54 : 42));
	u16 need = is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	const u8 *ph;

	/* e_phentsize is the size of one entry: it must hold the fields read below. */
	if (phentsize < need) {
		log_printf("loader: ELF e_phentsize %u is smaller than a program header (%u bytes)\n",
			   phentsize, need);
		return false;
	}
	if (phoff > img->size || (u64)(i + 1) * phentsize > img->size - phoff) {
		log_printf("loader: ELF program headers run past the end of the file\n");
		return false;
	}
	ph = e + phoff + (u64)i * phentsize;
	*type = *(const u32 *)ph;
	if (is64)
		*s = (struct elf_segment){ *(const u64 *)(ph + 8), *(const u64 *)(ph + 24),
					   *(const u64 *)(ph + 16), *(const u64 *)(ph + 32),
					   *(const u64 *)(ph + 40) };
	else
		*s = (struct elf_segment){ *(const u32 *)(ph + 4), *(const u32 *)(ph + 12),
					   *(const u32 *)(ph + 8), *(const u32 *)(ph + 16),
					   *(const u32 *)(ph + 20) };
	return true;
}

/*
 * PT_LOAD segments go to their physical addresses. An entry point that is a virtual
 * address inside a segment (SWEB: 0x801001e1) is translated to its physical address,
 * as GRUB does.
 */
static bool load_elf(struct vm *vm, const struct image *img, struct loaded *out)
{
	const u8 *e = img->data;
	bool is64 = e[4] == ELFCLASS64;
	u16 phnum = *(const u16 *)(e + (is64 ? 56 : 44));
	u64 entry = is64 ? *(const u64 *)(e + 24) : *(const u32 *)(e + 24);
	int loaded = 0;

	out->entry = entry;
	out->start = ~0ULL;
	out->end = 0;
	for (unsigned i = 0; i < phnum; i++) {
		struct elf_segment s;
		u32 type;

		if (!elf_segment(img, i, &s, &type))
			return false;
		if (type != PT_LOAD || s.memsz == 0)
			continue;
		if (s.offset > img->size || s.filesz > img->size - s.offset) {
			log_printf("loader: ELF segment %u runs past the end of the file\n", i);
			return false;
		}
		if (!copy_in(vm, s.paddr, e + s.offset, s.filesz, s.memsz))
			return false;
		log_printf("loader: segment %u: %#lx bytes at guest %#lx (vaddr %#lx)\n", i,
			   s.memsz, s.paddr, s.vaddr);
		if (entry >= s.vaddr && entry - s.vaddr < s.memsz)
			out->entry = entry - s.vaddr + s.paddr;
		if (s.paddr < out->start)
			out->start = s.paddr;
		if (s.paddr + s.memsz > out->end)
			out->end = s.paddr + s.memsz;
		loaded++;
	}
	if (!loaded)
		log_printf("loader: the ELF file has no PT_LOAD segment\n");
	return loaded > 0;
}

static bool is_elf(const struct image *img)
{
	return img->size >= 64 && *(const u32 *)img->data == ELF_MAGIC &&
	       (img->data[4] == ELFCLASS32 || img->data[4] == ELFCLASS64);
}

/* The PVH entry of an ELF kernel (Xen's docs/misc/pvh.pandoc, which QEMU and Firecracker
 * boot too): a "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE segment, its
 * descriptor the 32-bit physical entry. False when there is none. */
static bool pvh_entry(const struct image *img, u32 *entry)
{
	const u8 *e = img->data;
	u16 phnum = *(const u16 *)(e + (e[4] == ELFCLASS64 ? 56 : 44));

	for (unsigned i = 0; i < phnum; i++) {
		struct elf_segment s;
		u32 type;

		if (!elf_segment(img, i, &s, &type))
			return false;
		if (type != PT_NOTE || s.offset > img->size || s.filesz > img->size - s.offset)
			continue;
		for (u64 at = 0; at + 12 <= s.filesz;) {
			const u8 *n = e + s.offset + at;
			u32 namesz = *(const u32 *)n, descsz = *(const u32 *)(n + 4);
			u64 desc = 12 + ALIGN_UP((u64)namesz, 4), next = desc + ALIGN_UP((u64)descsz, 4);

			if (next > s.filesz - at)
				break;
			if (namesz == 4 && !memcmp(n + 12, "Xen", 4) &&
			    *(const u32 *)(n + 8) == XEN_ELFNOTE_PHYS32_ENTRY && descsz >= 4) {
				*entry = *(const u32 *)(n + desc);
				return true;
			}
			at += next;
		}
	}
	return false;
}

static bool load_kernel(struct vm *vm, const struct image *img, struct loaded *out)
{
	const struct mb_header *h = find_header(img);

	if (!h) {
		log_printf("loader: the guest is not a Multiboot kernel: no header with magic "
			   "%#x in its first 8 KiB\n", MULTIBOOT_HEADER_MAGIC);
		return false;
	}
	if ((h->flags & 0xffff) & ~MB_SUPPORTED_REQUIRED) {
		log_printf("loader: the guest's Multiboot header requires flags %#x we do not "
			   "support\n", (u32)((h->flags & 0xffff) & ~MB_SUPPORTED_REQUIRED));
		return false;
	}
	if (h->flags & MB_FLAG_AOUT_KLUDGE) {
		if ((const u8 *)h + sizeof(*h) > img->data + img->size)
			return false;
		log_printf("loader: Multiboot a.out kludge, flags %#x\n", h->flags);
		return load_aout(vm, img, h, out);
	}
	if (!is_elf(img)) {
		log_printf("loader: the guest has a Multiboot header without flag 16, but is "
			   "not an ELF32/ELF64 file\n");
		return false;
	}
	log_printf("loader: ELF%d Multiboot kernel, header flags %#x\n",
		   img->data[4] == ELFCLASS64 ? 64 : 32, h->flags);
	return load_elf(vm, img, out);
}

/* A bump allocator in the info area. */
struct info_area {
	struct vm *vm;
	u64 next;
};

static void *info_alloc(struct info_area *a, u64 size, u64 *gpa)
{
	void *p;

	a->next = ALIGN_UP(a->next, 8);
	if (a->next + size > MBI_LIMIT)
		return NULL;
	p = vm_gpa_to_hva(a->vm, a->next, size);
	*gpa = a->next;
	a->next += size;
	return p;
}

/* A copy of s in the info area; its guest-physical address, or 0 if it does not fit. */
static u32 info_string(struct info_area *a, const char *s)
{
	u64 len = strlen(s) + 1, at;
	char *p = info_alloc(a, len, &at);

	if (!p)
		return 0;
	memcpy(p, s, len);
	return at;
}

/* The role word of a module string, and the ARGS after it. */
static bool module_role(const struct multiboot_module *m, const char *role, const char **args)
{
	const char *w = cmdline_words(m->string ? (const char *)(u64)m->string : "");
	size_t n = strlen(role);

	if (strncmp(w, role, n) || (w[n] != ' ' && w[n] != '\0'))
		return false;
	for (w += n; *w == ' '; w++)
		;
	*args = w;
	return true;
}

/* The guest's `guest-module`s are host modules [first, end): those after its `guest`
 * module and before the next one, for guest 0 also those before it (CONTRACT.md 10). */
static bool build_info(struct vm *vm, const struct multiboot_info *host, const char *args,
		       u32 first, u32 end, u64 modules_at, u64 *info_gpa)
{
	const struct multiboot_module *hm = (const void *)(u64)host->mods_addr;
	struct info_area a = { vm, MBI_BASE };
	struct multiboot_info *mbi;
	struct multiboot_mmap_entry *mmap;
	struct multiboot_module *mods;
	u64 mods_gpa, mmap_gpa;
	u32 nmods = 0;

	if (!(mbi = info_alloc(&a, sizeof(*mbi) + 40, info_gpa))) /* room for the VBE fields */
		return false;
	if (!(mmap = info_alloc(&a, 2 * sizeof(*mmap), &mmap_gpa)))
		return false;
	if (!(mods = info_alloc(&a, MAX_GUEST_MODULES * sizeof(*mods), &mods_gpa)))
		return false;
	mbi->flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
		     MULTIBOOT_INFO_MEM_MAP | MB_INFO_BOOT_LOADER_NAME;
	mbi->mem_lower = LOW_MEM_END >> 10;
	mbi->mem_upper = (vm->ram_size - HIGH_MEM_START) >> 10;
	mmap[0] = (struct multiboot_mmap_entry){ sizeof(*mmap) - 4, 0, LOW_MEM_END,
						 MULTIBOOT_MEMORY_AVAILABLE };
	mmap[1] = (struct multiboot_mmap_entry){ sizeof(*mmap) - 4, HIGH_MEM_START,
						 vm->ram_size - HIGH_MEM_START,
						 MULTIBOOT_MEMORY_AVAILABLE };
	mbi->mmap_addr = mmap_gpa;
	mbi->mmap_length = 2 * sizeof(*mmap);
	mbi->cmdline = info_string(&a, args);
	mbi->boot_loader_name = info_string(&a, "reference-hv");
	if (!mbi->cmdline || !mbi->boot_loader_name)
		return false;

	for (u32 i = first; i < end; i++) {
		const char *margs;
		u64 size = hm[i].mod_end - hm[i].mod_start;

		if (!module_role(&hm[i], "guest-module", &margs))
			continue;
		if (nmods == MAX_GUEST_MODULES) {
			log_printf("loader: more than %d guest modules\n", MAX_GUEST_MODULES);
			return false;
		}
		modules_at = ALIGN_UP(modules_at, PAGE_SIZE);
		if (!copy_in(vm, modules_at, (const void *)(u64)hm[i].mod_start, size, size))
			return false;
		mods[nmods] = (struct multiboot_module){ modules_at, modules_at + size,
							 info_string(&a, margs), 0 };
		if (!mods[nmods].string)
			return false;
		log_printf("loader: guest module %u: %lu bytes at guest %#lx '%s'\n", nmods, size,
			   modules_at, margs);
		modules_at += size;
		nmods++;
	}
	mbi->mods_count = nmods;
	mbi->mods_addr = mods_gpa;
	return true;
}

/* A Linux kernel's one guest-module, its initrd (none: an empty image); a second is
 * refused, not lost. */
static bool linux_initrd(const struct multiboot_module *m, u32 first, u32 end,
			 struct linux_image *initrd)
{
	const struct multiboot_module *found = NULL;
	const char *margs;

	for (u32 i = first; i < end; i++) {
		if (!module_role(&m[i], "guest-module", &margs))
			continue;
		if (found) {
			log_printf("loader: a Linux guest takes one guest-module, its initrd; "
				   "'%s' is a second\n", margs);
			return false;
		}
		found = &m[i];
	}
	*initrd = (struct linux_image){ found ? (const u8 *)(u64)found->mod_start : NULL,
					found ? found->mod_end - found->mod_start : 0 };
	return true;
}

/* A PVH kernel: its segments as a Multiboot ELF's, then Linux's start info. */
static bool load_pvh(struct vm *vm, const struct image *img, u32 entry, const char *args,
		     const struct linux_image *initrd, struct vcpu_boot *boot)
{
	struct loaded k;

	log_printf("loader: ELF%d PVH kernel, entry %#x\n", img->data[4] == ELFCLASS64 ? 64 : 32,
		   entry);
	if (!load_elf(vm, img, &k))
		return false;
	if (k.start < HIGH_MEM_START) {
		log_printf("loader: the PVH kernel [%#lx, %#lx) reaches below 1 MiB, where its "
			   "start info and the BIOS's areas are\n", k.start, k.end);
		return false;
	}
	return linux_pvh_start(vm, entry, k.end, args, initrd, tsc_khz, boot);
}

bool guest_load(struct vm *vm, const struct multiboot_info *mbi, struct vcpu_boot *boot)
{
	const struct multiboot_module *m = (const void *)(u64)mbi->mods_addr;
	u32 n = (mbi->flags & MULTIBOOT_INFO_MODS) ? mbi->mods_count : 0;
	const char *args = NULL, *other;
	struct image img = { 0 };
	struct loaded k;
	u32 first = n, end = n;
	int guests = 0;
	u64 info;
	u32 entry = 0;
	bool bzimage;

	/* Guest vm->id is the vm->id'th `guest` module (0 the first). */
	for (u32 i = 0; i < n; i++) {
		if (!module_role(&m[i], "guest", &other))
			continue;
		if (guests++ == vm->id) {
			args = other;
			first = vm->id ? i + 1 : 0; /* guest 0 also takes those before it */
			img = (struct image){ (const u8 *)(u64)m[i].mod_start,
					      m[i].mod_end - m[i].mod_start };
		} else if (args && end == n) {
			end = i;
		}
	}
	if (!args) {
		log_printf("loader: no guest module for guest %d\n", vm->id);
		return false;
	}
	bzimage = linux_is_bzimage(img.data, img.size);
	if (bzimage || (!find_header(&img) && is_elf(&img) && pvh_entry(&img, &entry))) {
		struct linux_image initrd;

		if (!linux_initrd(m, first, end, &initrd))
			return false;
		return bzimage ? linux_load(vm, img.data, img.size, args, &initrd, tsc_khz, boot)
			       : load_pvh(vm, &img, entry, args, &initrd, boot);
	}
	if (!load_kernel(vm, &img, &k))
		return false;
	if (k.start < BIOS_DATA_END ||
	    (k.start < MBI_LIMIT && k.end > GUEST_STACK_TOP - GUEST_STACK_SIZE)) {
		log_printf("loader: the kernel [%#lx, %#lx) overlaps the real-mode interrupt table "
			   "and BIOS data [0, %#llx) or its stack and Multiboot information "
			   "[%#llx, %#llx)\n", k.start, k.end, BIOS_DATA_END,
			   GUEST_STACK_TOP - GUEST_STACK_SIZE, MBI_LIMIT);
		return false;
	}
	/* Spec 3.2: the kernel starts in 32-bit protected mode; EIP cannot hold more. */
	if (k.entry > 0xffffffffULL) {
		log_printf("loader: the entry point %#lx is above 4 GiB and in no segment: a "
			   "Multiboot kernel starts with a 32-bit EIP\n", k.entry);
		return false;
	}
	if (!build_info(vm, mbi, args, first, end,
			k.end < MBI_LIMIT ? HIGH_MEM_START : ALIGN_UP(k.end, PAGE_SIZE), &info)) {
		log_printf("loader: the Multiboot information does not fit in guest RAM\n");
		return false;
	}
	*boot = (struct vcpu_boot){ .eip = k.entry, .eax = MULTIBOOT_BOOTLOADER_MAGIC,
				    .ebx = info, .esp = GUEST_STACK_TOP,
				    .nested_root = vm->npt_root };
	log_printf("loader: entry %#x, info at %#x, cmdline '%s'\n", boot->eip, boot->ebx, args);
	return true;
}
