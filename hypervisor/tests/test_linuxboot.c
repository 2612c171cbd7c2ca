/* host-test-sources: core/loader.c core/linuxboot.c core/vm.c core/cmdline.c */
/*
 * Host unit tests for the Linux loader (core/linuxboot.c), through the guest loader: a
 * bzImage lands with the zero page, command line, e820 map, GDT and initrd the 32-bit boot
 * protocol asks for (Documentation/arch/x86/boot.rst); an ELF kernel with a PVH entry note
 * lands with its start info, memory map, command line and initrd (Xen's pvh.pandoc); and
 * kernels it cannot boot, or guests too small for them, are refused with one line.
 */
#include "core_harness.h"
#include "loader_harness.h"
#include "check.h"

#define MB 0x100000ULL
#define ZP 0x10000ULL
#define PM_AT 0x400		/* setup_sects 1: the protected-mode kernel at (1 + 1) * 512 */
#define PM_SIZE 0x200

/* A bzImage of boot protocol 2.15: relocatable, unpacking at 1 MiB into init_size bytes. */
static void bzimage(u32 init_size)
{
	reset();
	img[0x1f1] = 1;			/* setup_sects */
	put16(0x1fe, 0xaa55);
	img[0x201] = 0x6a;		/* the jump: the header ends at 0x26c */
	put32(0x202, 0x53726448);	/* "HdrS" */
	put16(0x206, 0x020f);
	img[0x211] = 0x01;		/* LOADED_HIGH */
	put32(0x214, MB);
	put32(0x22c, 0x7fffffff);	/* initrd_addr_max */
	put32(0x230, 0x200000);
	img[0x234] = 1;			/* relocatable */
	put32(0x238, 63);		/* cmdline_size */
	put64(0x258, MB);		/* pref_address */
	put32(0x260, init_size);
	for (int i = 0; i < PM_SIZE; i++)
		img[PM_AT + i] = (u8)(i * 7 + 1);
}

static u64 ram64(u64 gpa)
{
	u64 v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

/* The last module added claims size bytes (only its size is read before it is refused). */
static void grow_last_module(u32 size)
{
	mods[mbi.mods_count - 1].mod_end = mods[mbi.mods_count - 1].mod_start + size;
}

static void test_bzimage_lands_as_the_protocol_asks(void)
{
	static const u8 initrd[0x1800] = { 0x30, 0x37, 0x30, 0x37 };

	bzimage(MB);
	add_module(initrd, sizeof(initrd), "guest-module initrd.cpio");
	CHECK(load_image(PM_AT + PM_SIZE, "/boot/vmlinuz guest console=ttyS0 quiet"),
	      "a bzImage with an initrd loads");
	CHECK(ram_holds(MB, PM_AT, PM_SIZE), "the protected-mode kernel at 1 MiB");
	CHECK(boot.eip == MB && boot.esi == ZP && boot.ebx == 0 && boot.eax == 0,
	      "32-bit entry at the load address, ESI the zero page, EBX 0");
	CHECK(boot.cs == 0x10 && boot.ds == 0x18 && boot.gdtr_base == 0x12000 &&
	      boot.gdtr_limit == 31, "CS __BOOT_CS 0x10, DS __BOOT_DS 0x18, a 4-entry GDT");
	CHECK(ram64(0x12000 + 0x10) == 0x00cf9b000000ffffULL &&
	      ram64(0x12000 + 0x18) == 0x00cf93000000ffffULL && ram64(0x12000) == 0,
	      "GDT: flat execute/read code at 0x10, flat read/write data at 0x18");
	CHECK(!memcmp(ram + ZP + 0x1f1, img + 0x1f1, 0x210 - 0x1f1),
	      "the zero page holds the image's setup header");
	CHECK(ram[ZP + 0x210] == 0xff, "type_of_loader 0xFF (undefined)");
	CHECK(!strcmp(ram_str(ram32(ZP + 0x228)), "console=ttyS0 quiet tsc_early_khz=2000000"),
	      "cmd_line_ptr: the guest's ARGS and the measured TSC rate");
	CHECK(ram32(ZP + 0x21c) == sizeof(initrd) && ram32(ZP + 0x218) == 0x3fe000 &&
	      !memcmp(ram + 0x3fe000, initrd, sizeof(initrd)),
	      "the initrd page-aligned at the top of the 4 MiB guest, its size in the header");
	CHECK(ram[ZP + 0x1e8] == 4, "four e820 entries");
	CHECK(ram64(ZP + 0x2d0) == 0 && ram64(ZP + 0x2d8) == 0x9fc00 && ram32(ZP + 0x2e0) == 1 &&
	      ram64(ZP + 0x2e4) == 0x9fc00 && ram32(ZP + 0x2f4) == 2 &&
	      ram64(ZP + 0x2f8) == 0xf0000 && ram32(ZP + 0x308) == 2 &&
	      ram64(ZP + 0x30c) == MB && ram64(ZP + 0x314) == 3 * MB && ram32(ZP + 0x31c) == 1,
	      "e820: RAM below the EBDA, EBDA and BIOS reserved, RAM from 1 MiB");
}

static void test_what_the_guest_says_is_kept(void)
{
	bzimage(MB);
	CHECK(load_image(PM_AT + PM_SIZE, "guest tsc_early_khz=5 ro") &&
	      !strcmp(ram_str(ram32(ZP + 0x228)), "tsc_early_khz=5 ro") &&
	      ram32(ZP + 0x218) == 0 && ram32(ZP + 0x21c) == 0,
	      "its own tsc_early_khz= stays alone; no initrd: ramdisk fields 0");
	bzimage(MB);
	CHECK(load_image(PM_AT + PM_SIZE, "guest") &&
	      !strcmp(ram_str(ram32(ZP + 0x228)), "tsc_early_khz=2000000"),
	      "an empty command line gets the TSC rate alone");
}

static void test_what_cannot_boot_is_refused(void)
{
	static const u8 initrd[0x1000];

	bzimage(MB);
	put16(0x206, 0x0209);
	CHECK(!load_image(PM_AT + PM_SIZE, "guest") && logged("2.10 or later"),
	      "boot protocol 2.09: refused");
	bzimage(MB);
	img[0x211] = 0;
	CHECK(!load_image(PM_AT + PM_SIZE, "guest") && logged("only bzImages"),
	      "a zImage: refused");
	bzimage(MB);
	CHECK(!load_image(PM_AT, "guest") && logged("runs past"),
	      "a file that ends with its setup code: refused");
	bzimage(4 * MB);
	CHECK(!load_image(PM_AT + PM_SIZE, "guest") && logged("the kernel needs 5 MiB"),
	      "init_size past the guest's RAM: refused, the RAM needed said");
	bzimage(MB);
	CHECK(!load_image(PM_AT + PM_SIZE,
			  "guest a-command-line-longer-than-the-sixty-three-bytes-of-cmdline_size")
	      && logged("longer than the kernel's cmdline_size"), "a too long command line: refused");
	bzimage(MB);
	add_module(initrd, sizeof(initrd), "guest-module one");
	add_module(initrd, sizeof(initrd), "guest-module two");
	CHECK(!load_image(PM_AT + PM_SIZE, "guest") && logged("'two' is a second"),
	      "a second guest-module: refused, not dropped");
	CHECK(ram_is(MB, 0xCC, PM_SIZE), "a refused kernel writes nothing at 1 MiB");
	bzimage(MB);
	add_module(initrd, sizeof(initrd), "guest-module big");
	grow_last_module(5 * MB);	/* never read: refused on its size */
	CHECK(!load_image(PM_AT + PM_SIZE, "guest") && logged("the kernel needs 7 MiB"),
	      "an initrd larger than the guest's RAM: refused, the RAM needed said");
}

#define NOTE_AT 0x180	/* the PT_NOTE segment of the PVH images, before DATA */
#define PVH_ENTRY (MB + 0x40)

/* An ELF64 vmlinux: one PT_LOAD at 1 MiB (0x300 bytes of file, 0x1000 in RAM), a PT_NOTE
 * with Xen's PHYS32_ENTRY note, and no Multiboot header. */
static void pvh_vmlinux(u64 paddr)
{
	reset();
	elf(2, 0xffffffff81000000ULL, 2);
	memset(img + 64, 0, 12);	/* elf() put a Multiboot header there */
	phdr(2, 0, 1, DATA, 0xffffffff81000000ULL, paddr, 0x300, 0x1000);
	phdr(2, 1, 4, NOTE_AT, 0, 0, 20, 20);
	put32(NOTE_AT, 4);		/* namesz: "Xen\0" */
	put32(NOTE_AT + 4, 4);		/* descsz */
	put32(NOTE_AT + 8, 18);		/* XEN_ELFNOTE_PHYS32_ENTRY */
	memcpy(img + NOTE_AT + 12, "Xen", 4);
	put32(NOTE_AT + 16, PVH_ENTRY);
}

static void test_pvh_kernel_lands_with_its_start_info(void)
{
	static const u8 initrd[0x1800] = { 0x30, 0x37, 0x30, 0x37 };
	u64 modlist, memmap;

	pvh_vmlinux(MB);
	add_module(initrd, sizeof(initrd), "guest-module initrd.cpio");
	CHECK(load_image(DATA + 0x300, "guest console=ttyS0"), "a PVH vmlinux with an initrd loads");
	CHECK(ram_holds(MB, DATA, 0x300) && ram_is(MB + 0x300, 0, 0xd00),
	      "its segment at 1 MiB, zeroed to its memsz");
	CHECK(boot.eip == PVH_ENTRY && boot.ebx == ZP && boot.cs == 0 && boot.ds == 0,
	      "entry from the note, EBX the start info, the flat Multiboot segments");
	CHECK(ram32(ZP) == 0x336ec578 && ram32(ZP + 4) == 1 && ram32(ZP + 12) == 1,
	      "start info: magic, version 1, one module");
	CHECK(!strcmp(ram_str(ram64(ZP + 24)), "console=ttyS0 tsc_early_khz=2000000"),
	      "the command line with the TSC rate");
	modlist = ram64(ZP + 16);
	CHECK(ram64(modlist) == 0x3fe000 && ram64(modlist + 8) == sizeof(initrd) &&
	      !memcmp(ram + 0x3fe000, initrd, sizeof(initrd)),
	      "module 0, the initrd, page-aligned at the top of the 4 MiB guest");
	memmap = ram64(ZP + 40);
	CHECK(ram32(ZP + 48) == 4 && ram64(memmap) == 0 && ram64(memmap + 8) == 0x9fc00 &&
	      ram32(memmap + 16) == 1 && ram64(memmap + 3 * 24) == MB &&
	      ram64(memmap + 3 * 24 + 8) == 3 * MB && ram32(memmap + 3 * 24 + 16) == 1,
	      "memory map: 4 entries, low RAM and RAM from 1 MiB to the guest's end");
	CHECK(ram64(ZP + 32) == 0, "no RSDP: the machine has no ACPI");

	pvh_vmlinux(MB);
	add_module(initrd, sizeof(initrd), "guest-module big");
	grow_last_module(3 * MB);	/* fits in RAM, not above the kernel */
	CHECK(!load_image(DATA + 0x300, "guest") && logged("no room for the initrd"),
	      "a PVH kernel's initrd with no room above the kernel: refused");
	pvh_vmlinux(0x8000);
	CHECK(!load_image(DATA + 0x300, "guest") && logged("reaches below 1 MiB"),
	      "a PVH kernel below 1 MiB: refused");
	pvh_vmlinux(MB);
	put32(NOTE_AT + 8, 17);
	CHECK(!load_image(DATA + 0x300, "guest") && logged("not a Multiboot kernel"),
	      "an ELF with neither a Multiboot header nor the PVH note: refused as before");
}

int main(void)
{
	test_pvh_kernel_lands_with_its_start_info();
	test_bzimage_lands_as_the_protocol_asks();
	test_what_the_guest_says_is_kept();
	test_what_cannot_boot_is_refused();
	return check_done();
}
