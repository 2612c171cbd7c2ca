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

static u16 rd16(const u8 *p) { return p[0] | p[1] << 8; }
static u32 rd32(const u8 *p) { return rd16(p) | (u32)rd16(p + 2) << 16; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }
static void wr16(u8 *p, u16 v) { p[0] = v; p[1] = v >> 8; }
static void wr32(u8 *p, u32 v) { wr16(p, v); wr16(p + 2, v >> 16); }

bool linux_is_bzimage(const u8 *data, u64 size)
{
	return size >= HDR_MAGIC + 4 && rd32(data + HDR_MAGIC) == LINUX_MAGIC;
}

static void e820_add(u8 *zp, u64 addr, u64 size, u32 type)
{
	u8 *e = zp + ZP_E820_TABLE + zp[ZP_E820_ENTRIES]++ * 20;

	wr32(e, addr);
	wr32(e + 4, addr >> 32);
	wr32(e + 8, size);
	wr32(e + 12, size >> 32);
	wr32(e + 16, type);
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
		const u8 *initrd, u64 initrd_size, u64 tsc_khz, struct vcpu_boot *boot)
{
	u16 version;
	u64 pm_off = check_header(data, size, &version), pm_size = size - pm_off;
	u64 init_size, decompress_at, initrd_at = 0, initrd_max, line_max;
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
	if (decompress_at + init_size + (initrd ? ALIGN_UP(initrd_size, PAGE_SIZE) : 0) >
	    vm->ram_size || KERNEL_AT + pm_size > vm->ram_size) {
		log_printf("loader: the kernel needs %lu MiB of RAM (it unpacks at %#lx, %#lx "
			   "bytes, then the initrd's %lu bytes); the guest has %lu MiB\n",
			   (decompress_at + init_size + initrd_size + (1 << 20) - 1) >> 20,
			   decompress_at, init_size, initrd_size, vm->ram_size >> 20);
		return false;
	}
	if (initrd) {
		initrd_max = (u64)rd32(data + HDR_INITRD_ADDR_MAX) + 1;
		initrd_at = (vm->ram_size < initrd_max ? vm->ram_size : initrd_max) - initrd_size;
		initrd_at &= ~(PAGE_SIZE - 1);
		if (initrd_at < decompress_at + init_size) {
			log_printf("loader: no room for the initrd (%lu bytes) below initrd_addr_max "
				   "%#lx and above the unpacked kernel\n", initrd_size, initrd_max);
			return false;
		}
	}
	zp = vm_gpa_to_hva(vm, BOOT_PARAMS, ZP_SIZE);
	line = vm_gpa_to_hva(vm, CMDLINE_AT, line_max);
	gdt = vm_gpa_to_hva(vm, GDT_AT, 4 * 8);
	kernel = vm_gpa_to_hva(vm, KERNEL_AT, pm_size);
	if (!zp || !line || !gdt || !kernel ||
	    (initrd && !vm_gpa_to_hva(vm, initrd_at, initrd_size)))
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
	if (initrd) {
		wr32(zp + HDR_RAMDISK_IMAGE, initrd_at);
		wr32(zp + HDR_RAMDISK_SIZE, initrd_size);
		memcpy(vm_gpa_to_hva(vm, initrd_at, initrd_size), initrd, initrd_size);
	}
	/* What a PC's BIOS reports (INT 15h E820): low RAM below the EBDA, the BIOS ROM
	 * reserved, RAM from 1 MiB; the VGA window is in no entry. */
	e820_add(zp, 0, LOW_MEM_END, E820_RAM);
	e820_add(zp, LOW_MEM_END, VGA_WINDOW_START - LOW_MEM_END, E820_RESERVED);
	e820_add(zp, BIOS_AREA, HIGH_MEM_START - BIOS_AREA, E820_RESERVED);
	e820_add(zp, HIGH_MEM_START, vm->ram_size - HIGH_MEM_START, E820_RAM);
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
		   version & 0xff, pm_size, KERNEL_AT, decompress_at, init_size, initrd_size,
		   initrd_at, line);
	return true;
}
