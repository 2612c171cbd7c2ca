/*
 * Guest memory: one contiguous block of host RAM, mapped at guest-physical 0 by
 * nested page tables (Intel EPT, SDM Vol 3C 29.3; AMD NPT, APM Vol 2 15.25). The
 * core walks the 4-level tables; the backend only formats the entries
 * (ops->npt_leaf, ops->npt_table), which differ between EPT and NPT.
 *
 * The guest-physical map:
 *   [0, 0xA0000)          RAM, 4 KiB pages
 *   [0xA0000, 0xB8000)    unmapped (graphics modes: nothing we emulate)
 *   [0xB8000, 0xC0000)    the REAL VGA text memory at host 0xB8000, 4 KiB pages, no exec,
 *                         for the guest with the focus; a copy of its own for the others
 *   [0xC0000, 2 MiB)      RAM, 4 KiB pages
 *   [2 MiB, RAM end)      RAM, 2 MiB pages (4 KiB for a tail that is not a whole one)
 *   above RAM             unmapped: an access is a nested page fault
 * The VGA text window is a direct mapping rather than an emulated device: guest writes
 * cost no exits, and the cells land on the real screen exactly as the guest wrote
 * them, which is what the lab reads back. The hypervisor owns no other part of the
 * real screen, so sharing it costs nothing. Hypervisor memory is never mapped. With
 * several guests (CONTRACT.md 10) the focus moves the real screen: vm_move_screen saves
 * the text into the guest that loses it, restores the other's, and remaps both windows.
 */
#include "dedup.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "run_end.h"
#include "vm.h"

#define NPT_LEVELS 4
#define NPT_ENTRIES 512
#define NPT_ADDR_MASK 0x000ffffffffff000ULL /* bits 51:12 in EPT and NPT entries */
#define SIZE_2M 0x200000ULL
#define RAM_PERMS (NPT_READ | NPT_WRITE | NPT_EXEC)
/* Device memory is not code: a fetch there stops the guest (core/mmio.c). Bochs cannot
 * fetch from its VGA memory at all and would end the whole simulation. */
#define VGA_TEXT_PERMS (NPT_READ | NPT_WRITE)
#define VGA_TEXT_PAGES ((VGA_TEXT_END - VGA_TEXT_START) / PAGE_SIZE)
#define VGA_BLANK 0x0720 /* a space, light grey on black */

/* The entry for gpa at `level` (1: 4 KiB page table, 2: page directory), tables made. */
static u64 *npt_walk(struct vm *vm, u64 gpa, int level)
{
	u64 *table = (u64 *)vm->npt_root;

	for (int l = NPT_LEVELS; l > level; l--) {
		u64 *e = &table[(gpa >> (12 + 9 * (l - 1))) & (NPT_ENTRIES - 1)];

		if (!*e) {
			u64 page = page_alloc();

			if (!page)
				panic("vm: out of memory for nested page tables");
			*e = vm->ops->npt_table(page);
		}
		table = (u64 *)(*e & NPT_ADDR_MASK);
	}
	return &table[(gpa >> (12 + 9 * (level - 1))) & (NPT_ENTRIES - 1)];
}

static void npt_map_4k(struct vm *vm, u64 gpa, u64 hpa, unsigned perms)
{
	*npt_walk(vm, gpa, 1) = vm->ops->npt_leaf(hpa, perms, false);
}

static void npt_map_2m(struct vm *vm, u64 gpa, u64 hpa)
{
	*npt_walk(vm, gpa, 2) = vm->ops->npt_leaf(hpa, RAM_PERMS, true);
}

static void npt_build(struct vm *vm)
{
	u64 gpa;

	vm->npt_root = page_alloc();
	if (!vm->npt_root)
		panic("vm: out of memory for nested page tables");
	for (gpa = 0; gpa < SIZE_2M && gpa < vm->ram_size; gpa += PAGE_SIZE) {
		if (gpa >= VGA_WINDOW_START && gpa < VGA_TEXT_START)
			continue;
		if (gpa >= VGA_TEXT_START && gpa < VGA_TEXT_END)
			npt_map_4k(vm, gpa, vm->vga_hpa + (gpa - VGA_TEXT_START), VGA_TEXT_PERMS);
		else
			npt_map_4k(vm, gpa, vm->ram_hpa + gpa, RAM_PERMS);
	}
	/* Deduplication remaps single pages: no 2 MiB ones then. */
	for (; !vm->small_pages && gpa + SIZE_2M <= vm->ram_size; gpa += SIZE_2M)
		npt_map_2m(vm, gpa, vm->ram_hpa + gpa);
	for (; gpa < vm->ram_size; gpa += PAGE_SIZE)
		npt_map_4k(vm, gpa, vm->ram_hpa + gpa, RAM_PERMS);
}

void vm_create(struct vm *vm, int id, const struct virt_ops *ops, u64 mib, bool focused,
	       bool small_pages)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = id;
	vm->small_pages = small_pages;
	vm->ops = ops;
	vm->ram_size = mib << 20;
	if (vm->ram_size < HIGH_MEM_START * 2)
		panic("vm: guest_mem=%lu is too small (2 MiB at least)", mib);
	vm->ram_hpa = pages_alloc_contig(vm->ram_size / PAGE_SIZE, SIZE_2M);
	if (!vm->ram_hpa) {
		log_printf("vm: no %lu MiB of contiguous memory for the guest (%lu KiB free)\n",
			   mib, mem_free_bytes() >> 10);
		run_end(END_CONFIG);
	}
	vm->vga_copy = pages_alloc_contig(VGA_TEXT_PAGES, PAGE_SIZE);
	if (!vm->vga_copy)
		panic("vm: out of memory for a VGA text copy");
	for (u16 *cell = (u16 *)vm->vga_copy; cell < (u16 *)(vm->vga_copy + VGA_TEXT_END -
							     VGA_TEXT_START); cell++)
		*cell = VGA_BLANK;
	vm->vga_hpa = focused ? VGA_TEXT_START : vm->vga_copy;
	npt_build(vm);
	vm->vcpu.vm = vm;
	log_printf("vm: guest %d: %lu MiB guest RAM at host %#lx, nested root %#lx\n", id, mib,
		   vm->ram_hpa, vm->npt_root);
}

void vm_map_ram_page(struct vm *vm, u64 gpa, u64 hpa, bool writable)
{
	npt_map_4k(vm, gpa, hpa, writable ? RAM_PERMS : (NPT_READ | NPT_EXEC));
}

static void map_screen(struct vm *vm, u64 hpa)
{
	vm->vga_hpa = hpa;
	for (u64 off = 0; off < VGA_TEXT_END - VGA_TEXT_START; off += PAGE_SIZE)
		npt_map_4k(vm, VGA_TEXT_START + off, hpa + off, VGA_TEXT_PERMS);
	vm->ops->flush_tlb(&vm->vcpu);
}

void vm_move_screen(struct vm *from, struct vm *to)
{
	u64 size = VGA_TEXT_END - VGA_TEXT_START;

	if (from == to)
		return;
	if (from) {
		memcpy((void *)from->vga_copy, (const void *)VGA_TEXT_START, size);
		map_screen(from, from->vga_copy);
	}
	if (to) {
		memcpy((void *)VGA_TEXT_START, (const void *)to->vga_copy, size);
		map_screen(to, VGA_TEXT_START);
	}
}

void *vm_gpa_to_hva(struct vm *vm, u64 gpa, u64 len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	/* The VGA window is not RAM: the real text memory stands there. */
	if (gpa < VGA_TEXT_END && gpa + len > VGA_WINDOW_START) {
		if (gpa >= VGA_TEXT_START && gpa + len <= VGA_TEXT_END)
			return (void *)(vm->vga_hpa + (gpa - VGA_TEXT_START));
		return NULL;
	}
	if (vm->page_hpa) { /* deduplicated: page by page */
		if ((gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
			return NULL;
		return (void *)(vm->page_hpa[gpa / PAGE_SIZE] + (gpa & (PAGE_SIZE - 1)));
	}
	return (void *)(vm->ram_hpa + gpa);
}

void *vm_gpa_to_hva_write(struct vm *vm, u64 gpa, u64 len)
{
	void *p = vm_gpa_to_hva(vm, gpa, len);

	if (p && vm->page_hpa && gpa < vm->ram_size)
		dedup_unshare(vm, gpa);
	return vm_gpa_to_hva(vm, gpa, len);
}

bool vm_register_mmio(struct vm *vm, struct mmio_device *dev)
{
	if (vm->nr_mmio == VM_MAX_MMIO || dev->base < vm->ram_size)
		return false;
	for (int i = 0; i < vm->nr_mmio; i++)
		if (dev->base < vm->mmio[i]->base + vm->mmio[i]->size &&
		    vm->mmio[i]->base < dev->base + dev->size)
			return false;
	vm->mmio[vm->nr_mmio++] = dev;
	return true;
}

struct mmio_device *vm_find_mmio(struct vm *vm, u64 gpa)
{
	for (int i = 0; i < vm->nr_mmio; i++)
		if (gpa >= vm->mmio[i]->base && gpa - vm->mmio[i]->base < vm->mmio[i]->size)
			return vm->mmio[i];
	return NULL;
}
