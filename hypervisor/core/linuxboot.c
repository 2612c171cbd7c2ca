/*
 * The Linux loader: the hypervisor acts as a boot loader of the Linux x86 boot protocol
 * (Documentation/arch/x86/boot.rst, "THE LINUX/x86 BOOT PROTOCOL", 2.02 and later) for a
 * bzImage given as the `guest` module, with its first `guest-module` as the initrd. It
 * takes the 32-bit entry ("32-bit BOOT PROTOCOL"), as QEMU's -kernel and GRUB's linux16
 * path do not but GRUB's `linux` does on a PC without EFI: the real-mode setup code is
 * skipped, so the loader fills in what it would have (the e820 map, the command line, the
 * initrd) in the zero page, `struct boot_params`.
 *
 * Guest-physical layout: the zero page at BOOT_PARAMS, the command line after it, a GDT
 * with the flat __BOOT_CS (0x10) and __BOOT_DS (0x18) the protocol asks for after that;
 * the protected-mode kernel at 1 MiB (its 32-bit entry, startup_32, is its first byte); the
 * initrd page-aligned at the top of RAM, above where the kernel decompresses itself
 * (pref_address, or its load address if higher, plus init_size).
 *
 * The same kernel's ELF image, vmlinux, can instead be booted by PVH (Xen's
 * docs/misc/pvh.pandoc, as QEMU's -kernel and Firecracker do), with no decompression: the
 * loader puts its segments where they ask and hands over `struct hvm_start_info` (version 1:
 * with the memory map) at BOOT_PARAMS, the command line after it, the initrd as its first
 * module at the top of RAM; the kernel starts at its XEN_ELFNOTE_PHYS32_ENTRY in 32-bit
 * protected mode with paging off and EBX pointing at the start info.
 */
#include "lib.h"
#include "linuxboot.h"
#include "log.h"
#include "vm.h"

#define TSC_WORD "tsc_early_khz="

/* Offsets in the bzImage file and in the zero page (boot.rst, "THE REAL-MODE KERNEL
 * HEADER" and zero-page.rst). The setup header sits at the same offset in both. */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe    /* 0xAA55 */
#define HDR_JUMP 0x200         /* its second byte + 0x202: where the header ends */
#define HDR_MAGIC 0x202        /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define ZP_SIZE 0x1000

#define LINUX_MAGIC 0x53726448  /* "HdrS" */
#define LOADED_HIGH 0x01        /* loadflags bit 0: a bzImage, loaded at 1 MiB */
#define TYPE_UNDEFINED_LOADER 0xff  /* boot.rst: a loader with no assigned ID */
#define E820_RAM 1
#define E820_RESERVED 2

#define BOOT_PARAMS 0x10000ULL
#define CMDLINE_AT (BOOT_PARAMS + ZP_SIZE)
#define GDT_AT (CMDLINE_AT + 0x1000)
#define KERNEL_AT 0x100000ULL
#define BIOS_AREA 0xf0000ULL    /* the BIOS ROM's place, reserved as a PC's e820 has it */
#define BOOT_CS 0x10
#define BOOT_DS 0x18
/* PVH (xen/include/public/arch-x86/hvm/start_info.h): struct hvm_start_info, 56 bytes in
 * version 1, then our memory map (hvm_memmap_table_entry, 24 bytes each) and module list
 * (hvm_modlist_entry, 32 bytes) in the same page. */
#define PVH_MAGIC 0x336ec578
#define PVH_MEMMAP_AT (BOOT_PARAMS + 0x40)
#define PVH_MODLIST_AT (BOOT_PARAMS + 0x200)
#define MEMMAP_ENTRIES 4

static u16 rd16(const u8 *p) { return p[0] | p[1] << 8; }
static u32 rd32(const u8 *p) { return rd16(p) | (u32)rd16(p + 2) << 16; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }
static void wr16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void wr32(u8 *p, u32 v) { wr16(p, v); wr16(p + 2, v >> 16); }

bool linux_is_bzimage(const u8 *data, u64 size)
{
	return size >= HDR_MAGIC + 4 && rd32(data + HDR_MAGIC) == LINUX_MAGIC;
}

static void wr64(u8 *p, u64 v) { wr32(p, v); wr32(p + 4, v >> 32); }

/* What a PC's BIOS reports (INT 15h E820): low RAM below the EBDA, the BIOS ROM reserved,
 * RAM from 1 MiB; the VGA window is in no entry. Written as `stride`-byte entries of
 * address, size and type (the zero page's e820 table: 20; PVH's memory map: 24). */
static void memory_map(struct vm *vm, u8 *table, u64 stride)
{
	static const u32 type[MEMMAP_ENTRIES] = { E820_RAM, E820_RESERVED, E820_RESERVED,
						  E820_RAM };
	u64 start[MEMMAP_ENTRIES] = { 0, LOW_MEM_END, BIOS_AREA, HIGH_MEM_START };
	u64 end[MEMMAP_ENTRIES] = { LOW_MEM_END, VGA_WINDOW_START, HIGH_MEM_START,
				    vm->ram_size };

	for (int i = 0; i < MEMMAP_ENTRIES; i++) {
		wr64(table + i * stride, start[i]);
		wr64(table + i * stride + 8, end[i] - start[i]);
		wr32(table + i * stride + 16, type[i]);
	}
}

/* The initrd page-aligned at the top of RAM below `limit`, above `lowest`; 0 (logged)
 * when it does not fit. */
static u64 place_initrd(struct vm *vm, const struct linux_image *initrd, u64 limit, u64 lowest)
{
	u64 at = ((vm->ram_size < limit ? vm->ram_size : limit) - initrd->size) &
		 ~(PAGE_SIZE - 1);

	if (initrd->size > vm->ram_size || at < lowest) {
		log_printf("loader: no room for the initrd (%lu bytes) below %#lx and above the "
			   "kernel's end %#lx\n", initrd->size, limit, lowest);
		return 0;
	}
	memcpy(vm_gpa_to_hva(vm, at, initrd->size), initrd->data, initrd->size);
	return at;
}

/* Does a word of the command line start with key? */
static bool has_word(const char *line, const char *key)
{
	for (const char *w = line; *w; w++)
		if ((w == line || w[-1] == ' ') && !strncmp(w, key, strlen(key)))
			return true;
	return false;
}

/*
 * The command line the kernel gets: the guest's, and its TSC rate. Linux calibrates the
 * TSC against the PIT, polling port 0x61 (arch/x86/kernel/tsc.c, pit_calibrate_tsc, 1000
 * polls in 10 ms); each poll is an exit here, too slow for that on an emulator, and it then
 * marks the TSC unstable. The guest's TSC is the host's (CONTRACT.md 6), whose rate the
 * hypervisor measured: it says so with tsc_early_khz= (the kernel's admin guide,
 * kernel-parameters.txt), unless the guest's command line does. Its length, or -1 when
 * it does not fit in size bytes with the NUL.
 */
static int compose_cmdline(char *out, u64 size, const char *args, u64 tsc_khz)
{
	int n = snprintf(out, size, "%s", args);

	if (n >= 0 && tsc_khz && !has_word(args, TSC_WORD))
		n = snprintf(out, size, "%s%s" TSC_WORD "%lu", args, *args ? " " : "", tsc_khz);
	return n >= 0 && (u64)n < size ? n : -1;
}

/* Checks the header; the protected-mode kernel's file offset, or 0 when it is refused. */
static u64 check_header(const u8 *data, u64 size, u16 *version)
{
	u32 sects;

	*version = rd16(data + HDR_VERSION);
	if (rd16(data + HDR_BOOT_FLAG) != 0xaa55 || *version < 0x020a) {
		log_printf("loader: a Linux kernel of boot protocol %u.%02u: 2.10 or later is "
			   "needed (its 32-bit entry with init_size)\n", *version >> 8,
			   *version & 0xff);
		return 0;
	}
	if (!(data[HDR_LOADFLAGS] & LOADED_HIGH)) {
		log_printf("loader: a zImage (loaded below 1 MiB): only bzImages are supported\n");
		return 0;
	}
	sects = data[HDR_SETUP_SECTS] ? data[HDR_SETUP_SECTS] : 4;  /* boot.rst: 0 means 4 */
	if (HDR_JUMP + 2 + data[HDR_JUMP + 1] > ZP_E820_TABLE || (sects + 1) * 512ULL >= size) {
		log_printf("loader: the bzImage's setup header runs past its setup code or file\n");
		return 0;
	}
	return (sects + 1) * 512ULL;
}

bool linux_load(struct vm *vm, const u8 *data, u64 size, const char *args,
		const struct linux_image *initrd, u64 tsc_khz, struct vcpu_boot *boot)
{
	u16 version;
	u64 pm_off = check_header(data, size, &version), pm_size = size - pm_off;
	u64 init_size, decompress_at, initrd_at = 0, line_max;
	u8 *zp, *kernel, *gdt;
	char *line;

	if (!pm_off)
		return false;
	init_size = rd32(data + HDR_INIT_SIZE);
	decompress_at = data[HDR_RELOCATABLE] ? rd64(data + HDR_PREF_ADDRESS) : KERNEL_AT;
	if (decompress_at < KERNEL_AT)
		decompress_at = KERNEL_AT;
	line_max = rd32(data + HDR_CMDLINE_SIZE) + 1;  /* boot.rst: cmdline_size excludes NUL */
	if (line_max > GDT_AT - CMDLINE_AT)
		line_max = GDT_AT - CMDLINE_AT;
	if (decompress_at + init_size + ALIGN_UP(initrd->size, PAGE_SIZE) > vm->ram_size ||
	    KERNEL_AT + pm_size > vm->ram_size) {
		log_printf("loader: the kernel needs %lu MiB of RAM (it unpacks at %#lx, %#lx "
			   "bytes, then the initrd's %lu bytes); the guest has %lu MiB\n",
			   (decompress_at + init_size + initrd->size + (1 << 20) - 1) >> 20,
			   decompress_at, init_size, initrd->size, vm->ram_size >> 20);
		return false;
	}
	zp = vm_gpa_to_hva(vm, BOOT_PARAMS, ZP_SIZE);
	line = vm_gpa_to_hva(vm, CMDLINE_AT, line_max);
	gdt = vm_gpa_to_hva(vm, GDT_AT, 4 * 8);
	kernel = vm_gpa_to_hva(vm, KERNEL_AT, pm_size);
	if (!zp || !line || !gdt || !kernel)
		return false;
	if (compose_cmdline(line, line_max, args, tsc_khz) < 0) {
		log_printf("loader: the command line '%s' (with " TSC_WORD "%lu) is longer than "
			   "the kernel's cmdline_size, %lu bytes\n", args, tsc_khz, line_max - 1);
		return false;
	}

	memset(zp, 0, ZP_SIZE);
	memcpy(zp + HDR_SETUP_SECTS, data + HDR_SETUP_SECTS,
	       HDR_JUMP + 2 + data[HDR_JUMP + 1] - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = TYPE_UNDEFINED_LOADER;
	wr32(zp + HDR_CMD_LINE_PTR, CMDLINE_AT);
	if (initrd->data) {
		initrd_at = place_initrd(vm, initrd, (u64)rd32(data + HDR_INITRD_ADDR_MAX) + 1,
					 decompress_at + init_size);
		if (!initrd_at)
			return false;
		wr32(zp + HDR_RAMDISK_IMAGE, initrd_at);
		wr32(zp + HDR_RAMDISK_SIZE, initrd->size);
	}
	memory_map(vm, zp + ZP_E820_TABLE, 20);
	zp[ZP_E820_ENTRIES] = MEMMAP_ENTRIES;
	memcpy(kernel, data + pm_off, pm_size);

	/* boot.rst "32-bit BOOT PROTOCOL": flat 4 GiB __BOOT_CS (execute/read) and __BOOT_DS
	 * (read/write) in a loaded GDT, at their selectors 0x10 and 0x18. */
	memset(gdt, 0, 16);
	memcpy(gdt + BOOT_CS, &(u64){ 0x00cf9b000000ffffULL }, 8);
	memcpy(gdt + BOOT_DS, &(u64){ 0x00cf93000000ffffULL }, 8);
	*boot = (struct vcpu_boot){ .eip = KERNEL_AT, .esi = BOOT_PARAMS, .cs = BOOT_CS,
				    .ds = BOOT_DS, .gdtr_base = GDT_AT, .gdtr_limit = 4 * 8 - 1,
				    .nested_root = vm->npt_root };
	log_printf("loader: Linux bzImage, boot protocol %u.%02u, %lu bytes at %#llx (unpacks "
		   "at %#lx, %#lx bytes), initrd %lu bytes at %#lx, cmdline '%s'\n", version >> 8,
		   version & 0xff, pm_size, KERNEL_AT, decompress_at, init_size, initrd->size,
		   initrd_at, line);
	return true;
}

bool linux_pvh_start(struct vm *vm, u32 entry, u64 kernel_end, const char *args,
		     const struct linux_image *initrd, u64 tsc_khz, struct vcpu_boot *boot)
{
	u8 *info = vm_gpa_to_hva(vm, BOOT_PARAMS, ZP_SIZE);
	char *line = vm_gpa_to_hva(vm, CMDLINE_AT, GDT_AT - CMDLINE_AT);
	u64 initrd_at = 0;

	if (!info || !line)
		return false;
	if (compose_cmdline(line, GDT_AT - CMDLINE_AT, args, tsc_khz) < 0) {
		log_printf("loader: the command line '%s' is longer than %llu bytes\n", args,
			   GDT_AT - CMDLINE_AT - 1);
		return false;
	}
	memset(info, 0, ZP_SIZE);
	if (initrd->data) {
		/* Linux takes the first module as its initrd, into a 32-bit ramdisk_image. */
		initrd_at = place_initrd(vm, initrd, 1ULL << 32, ALIGN_UP(kernel_end, PAGE_SIZE));
		if (!initrd_at)
			return false;
		wr64(info + PVH_MODLIST_AT - BOOT_PARAMS, initrd_at);
		wr64(info + PVH_MODLIST_AT - BOOT_PARAMS + 8, initrd->size);
	}
	wr32(info, PVH_MAGIC);
	wr32(info + 4, 1);				/* version: with the memory map */
	wr32(info + 12, initrd->data ? 1 : 0);		/* nr_modules */
	wr64(info + 16, PVH_MODLIST_AT);
	wr64(info + 24, CMDLINE_AT);
	wr64(info + 40, PVH_MEMMAP_AT);			/* rsdp_paddr (32) stays 0: no ACPI */
	wr32(info + 48, MEMMAP_ENTRIES);
	memory_map(vm, info + PVH_MEMMAP_AT - BOOT_PARAMS, 24);
	*boot = (struct vcpu_boot){ .eip = entry, .ebx = BOOT_PARAMS, .esp = BOOT_PARAMS,
				    .nested_root = vm->npt_root };
	log_printf("loader: Linux by PVH, entry %#x, start info at %#llx, initrd %lu bytes at "
		   "%#lx, cmdline '%s'\n", entry, BOOT_PARAMS, initrd->size, initrd_at, line);
	return true;
}
