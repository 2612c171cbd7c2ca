/* host-test-sources: core/loader.c core/linuxboot.c core/vm.c core/cmdline.c */
/*
 * Host unit tests for the Multiboot guest loader (core/loader.c): ELF32, ELF64 and a.out
 * kludge guests land byte for byte with the machine state and information block of the
 * Multiboot spec, and malformed guests are refused without touching memory they must not.
 */
#include "core_harness.h"
#include "loader_harness.h"
#include "check.h"

#define MB 0x100000ULL

static void test_elf32(void)
{
	reset();
	elf(1, 0xC0100010, 3);
	phdr(1, 0, 1, DATA, 0xC0100000, MB, 0x300, 0x300);
	phdr(1, 1, 4, DATA, 0, 0xF0000000, 0x10, 0x10);	/* PT_NOTE: not loaded */
	phdr(1, 2, 1, DATA + 0x300, 0xC0103000, MB + 0x3000, 0x100, 0x900);
	CHECK(load_image(0x600, "/boot/kernel.elf guest arg1 arg2"), "ELF32 guest loads");
	CHECK(ram_holds(MB, DATA, 0x300), "ELF32: segment 0's bytes at 1 MiB");
	CHECK(ram_holds(MB + 0x3000, DATA + 0x300, 0x100), "ELF32: segment 2's file bytes");
	CHECK(ram_is(MB + 0x3100, 0, 0x800), "ELF32: segment 2's memsz past filesz is zeroed");
	CHECK(ram_is(MB + 0x300, 0xCC, 0x2D00) && ram_is(MB + 0x3900, 0xCC, 0x1000),
	      "ELF32: RAM between and after the segments untouched");
	CHECK(boot.eip == MB + 0x10, "ELF32: entry vaddr 0xC0100010 starts at paddr 0x100010");
	CHECK(boot.eax == 0x2BADB002 && boot.ebx == 0x10000 && boot.esp == 0x10000,
	      "ELF32: EAX 0x2BADB002, EBX the info block at 0x10000, ESP 0x10000");
	CHECK(boot.nested_root == 0x7654000, "ELF32: the vCPU gets the VM's nested root");

	u32 mmap = ram32(0x10000 + 48);

	CHECK(ram32(0x10000) == 0x24D, "info flags 0x24D: memory, cmdline, mods, mmap, loader name");
	CHECK(ram32(0x10000 + 4) == 639 && ram32(0x10000 + 8) == 3072,
	      "info mem_lower 639 KiB, mem_upper 3072 KiB (4 MiB guest)");
	CHECK(!strcmp(ram_str(ram32(0x10000 + 16)), "arg1 arg2"),
	      "info cmdline is the guest's ARGS, path and role word skipped");
	CHECK(!strcmp(ram_str(ram32(0x10000 + 64)), "reference-hv"), "info boot loader name");
	CHECK(ram32(0x10000 + 20) == 0, "no guest-module: mods_count 0");
	CHECK(ram32(0x10000 + 44) == 48 && ram32(mmap) == 20 && ram32(mmap + 4) == 0 &&
	      ram32(mmap + 12) == 0x9FC00 && ram32(mmap + 20) == 1,
	      "mmap entry 0: size 20, [0, 0x9FC00) available");
	CHECK(ram32(mmap + 24) == 20 && ram32(mmap + 28) == MB && ram32(mmap + 36) == 3 * MB &&
	      ram32(mmap + 44) == 1, "mmap entry 1: [1 MiB, 4 MiB) available");
	CHECK(mmap >= 0x10000 && mmap < 0x20000 && ram32(0x10000 + 16) < 0x20000,
	      "info, mmap and strings lie in [0x10000, 0x20000)");
}

static void test_elf64_and_aout(void)
{
	reset();
	elf(2, 0xFFFFFFFF80200004ULL, 1);
	phdr(2, 0, 1, DATA, 0xFFFFFFFF80200000ULL, 2 * MB, 0x180, 0x200);
	CHECK(load_image(0x400, "guest"), "ELF64 guest loads");
	CHECK(ram_holds(2 * MB, DATA, 0x180) && ram_is(2 * MB + 0x180, 0, 0x80),
	      "ELF64: segment bytes at 2 MiB, bss zeroed");
	CHECK(boot.eip == 2 * MB + 4, "ELF64: 64-bit entry vaddr translated to paddr 0x200004");
	CHECK(!strcmp(ram_str(ram32(0x10000 + 16)), ""), "\"guest\" with no ARGS: cmdline \"\"");

	reset();
	for (size_t k = 0; k < 0x400; k++)
		img[k] = pat(k);
	mb_header(0x40, 0x10003);
	aout_fields(0x40, MB + 0x40, MB, 0, MB + 0x1400, MB + 0x80);
	CHECK(load_image(0x400, "guest a"), "a.out kludge guest loads");
	CHECK(ram_holds(MB, 0, 0x400), "a.out: the whole file at load_addr");
	CHECK(ram_is(MB + 0x400, 0, 0x1000) && ram_is(MB + 0x1400, 0xCC, 16),
	      "a.out: zeroed up to bss_end_addr, no further");
	CHECK(boot.eip == MB + 0x80, "a.out: EIP is entry_addr");

	reset();
	for (size_t k = 0; k < 0x400; k++)
		img[k] = pat(k);
	mb_header(0x100, 0x10000);
	aout_fields(0x100, MB + 0xC0, MB, MB + 0x200, 0, MB);
	CHECK(load_image(0x400, "guest"), "a.out with the header 0x40 into the file loads");
	CHECK(ram_holds(MB, 0x40, 0x200) && ram_is(MB + 0x200, 0xCC, 16),
	      "a.out: file bytes [0x40, 0x240) at load_addr, up to load_end_addr only");
}

static void test_modules(void)
{
	static const u8 one[0x1234] = { 1, 2, 3 }, two[16] = { 9, 8, 7 };
	static u8 big[3 * MB];

	reset();
	elf_one(1, MB, 0x100, 0x2100);
	add_module(two, sizeof(two), "guest-module first");
	add_module(img, 0x400, "guest kernel args");
	add_module(one, sizeof(one), "/boot/one.bin guest-module a b");
	add_module(two, sizeof(two), "other x");
	add_module(two, sizeof(two), "guest-module");
	CHECK(load(), "a guest with three guest-modules and one other module loads");
	CHECK(!strcmp(ram_str(ram32(0x10000 + 16)), "kernel args"),
	      "the 'guest' module is the kernel, not a 'guest-module' before it");

	u32 list = ram32(0x10000 + 24), at0 = ram32(list), at1 = ram32(list + 16);

	CHECK(ram32(0x10000 + 20) == 3, "mods_count 3: 'other' is not handed on");
	CHECK(at0 == MB + 0x3000 && ram32(list + 4) == at0 + sizeof(two),
	      "module 0 at the first page after the kernel's end, 16 bytes");
	CHECK(!memcmp(ram + at0, two, sizeof(two)) && !strcmp(ram_str(ram32(list + 8)), "first"),
	      "module 0: its bytes and string 'first'");
	CHECK(at1 == MB + 0x4000 && ram32(list + 20) == at1 + sizeof(one) &&
	      !memcmp(ram + at1, one, sizeof(one)), "module 1: page-aligned after module 0");
	CHECK(!strcmp(ram_str(ram32(list + 24)), "a b"), "module 1: path skipped, string 'a b'");
	CHECK(ram32(list + 32) == MB + 0x6000 && !strcmp(ram_str(ram32(list + 40)), ""),
	      "module 2: after module 1's 0x1234 bytes, string \"\"");

	/* A kernel below the info block: its modules go to 1 MiB, clear of the info block. */
	reset();
	elf_one(1, 0x8000, 0x100, 0x100);
	add_module(img, 0x400, "guest low");
	add_module(two, sizeof(two), "guest-module env");
	CHECK(load() && ram32(ram32(0x10000 + 24)) == MB &&
	      !memcmp(ram + MB, two, sizeof(two)), "a kernel at 0x8000: its module at 1 MiB");

	/* CONTRACT.md 10: guest K is the K'th `guest`; its guest-modules follow it. */
	reset();
	elf_one(1, MB, 0x100, 0x100);
	add_module(two, sizeof(two), "guest-module early");
	add_module(img, 0x400, "guest zero");
	add_module(two, sizeof(two), "guest-module of0");
	add_module(img, 0x400, "guest one");
	add_module(one, sizeof(one), "guest-module of1");
	add_module(two, sizeof(two), "guest-module of1b");
	vm.id = 1;
	CHECK(load() && !strcmp(ram_str(ram32(0x10000 + 16)), "one") &&
	      ram32(0x10000 + 20) == 2 && !strcmp(ram_str(ram32(ram32(0x10000 + 24) + 8)), "of1"),
	      "guest 1: the second guest module, with the two guest-modules after it");
	vm.id = 0;
	CHECK(load() && !strcmp(ram_str(ram32(0x10000 + 16)), "zero") &&
	      ram32(0x10000 + 20) == 2 &&
	      !strcmp(ram_str(ram32(ram32(0x10000 + 24) + 8)), "early") &&
	      !strcmp(ram_str(ram32(ram32(0x10000 + 24) + 24)), "of0"),
	      "guest 0: the first, with the one before it and the one between");
	vm.id = 2;
	CHECK(!load() && logged("no guest module for guest 2"), "no third guest module: refused");
	vm.id = 0;

	reset();
	elf_one(1, MB, 0x100, 0x100);
	add_module(img, 0x400, "guest");
	for (int i = 0; i < 16; i++)
		add_module(two, sizeof(two), "guest-module m");
	CHECK(load() && ram32(0x10000 + 20) == 16, "16 guest-modules load");
	add_module(two, sizeof(two), "guest-module m");
	CHECK(!load() && logged("more than 16 guest modules"), "a 17th guest-module is refused");

	reset();
	elf_one(1, MB, 0x100, 0x100);
	add_module(img, 0x400, "guest");
	add_module(big, sizeof(big), "guest-module big");
	CHECK(!load() && logged("not inside guest RAM"), "a module past the end of RAM is refused");

	reset();
	elf_one(1, MB, 0x100, 0x100);
	char *args = low_alloc(70000);

	memset(args, 'x', 70000);
	memcpy(args, "guest ", 6);
	args[69999] = '\0';
	add_module(img, 0x400, args);
	CHECK(!load() && logged("does not fit"), "a 70000-byte cmdline (info area 64 KiB) is refused");
}

static void test_no_guest(void)
{
	reset();
	CHECK(!load() && logged("no guest module"), "no modules: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	add_module(img, 0x400, "guest-module x");
	add_module(img, 0x400, "guestx y");
	CHECK(!load() && logged("no guest module"), "only 'guest-module' and 'guestx': refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	add_module(img, 0x400, "guest");
	mbi.flags = 0;
	CHECK(!load(), "a guest module without info flag 3 (mods): refused");
}

static void test_bad_header(void)
{
	reset();
	elf_one(1, MB, 0x100, 0x100);
	put32(64, 0);
	CHECK(!load_image(0x400, "guest") && logged("not a Multiboot kernel"), "no magic: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	put32(72, 0);
	CHECK(!load_image(0x400, "guest"), "magic with a bad checksum: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	put32(64, 0);
	mb_header(IMG_MAX - 12, 3);
	CHECK(!load_image(IMG_MAX, "guest"),
	      "header at 0x3FF4, past the first 8 KiB: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	put32(64, 0);
	mb_header(8180, 3);
	CHECK(load_image(8192, "guest") && ram_holds(MB, DATA, 0x100),
	      "header at 8180, ending at 8 KiB: found, guest loads");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	mb_header(64, 0x8);
	CHECK(!load_image(0x400, "guest") && logged("flags 0x8"),
	      "required flag 3 (unsupported) refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	mb_header(64, 0x20007);
	CHECK(load_image(0x400, "guest"), "flags 0-2 and optional bit 17: loads");
	reset();
	mb_header(0, 3);
	CHECK(!load_image(0x400, "guest") && logged("not an ELF32/ELF64"),
	      "Multiboot header, no flag 16, not ELF: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	img[4] = 3;
	CHECK(!load_image(0x400, "guest"), "ELF class 3: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	mb_header(48, 3);
	CHECK(!load_image(60, "guest"), "a 60-byte ELF (shorter than a header): refused");
	reset();
	mb_header(0, 3);
	CHECK(!load_image(8, "guest") && logged("not a Multiboot kernel"), "an 8-byte guest refused");
	reset();
	CHECK(!load_image(0, "guest") && logged("not a Multiboot kernel"), "an empty guest refused");
}

static bool elf32_refused(u64 paddr, u64 filesz, u64 memsz)
{
	reset();
	elf_one(1, paddr, filesz, memsz);
	return !load_image(0x400, "guest");
}

static void test_bad_elf(void)
{
	reset();
	elf(1, MB, 2);
	phdr(1, 0, 1, 0, MB, MB, 0, 0x100);
	CHECK(!load_image(PHOFF + 32 + 16, "guest") && logged("program headers run past"),
	      "program header 1 cut off by the file's end: refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	CHECK(!load_image(DATA + 0xFF, "guest") && logged("runs past the end of the file"),
	      "segment bytes one past the file's end: refused");
	CHECK(ram_is(MB, 0xCC, 0x100), "a refused segment writes nothing");
	CHECK(elf32_refused(MB, 0x200, 0x100), "filesz above memsz: refused");
	reset();
	elf(1, MB, 2);
	phdr(1, 0, 4, DATA, MB, MB, 0x10, 0x10);
	phdr(1, 1, 1, DATA, MB, MB, 0, 0);
	CHECK(!load_image(0x400, "guest") && logged("no PT_LOAD"),
	      "only a PT_NOTE and an empty PT_LOAD: refused");
	CHECK(elf32_refused(RAM_SIZE - 0x800, 0x100, 0x1000), "segment past the end of RAM refused");
	CHECK(elf32_refused(RAM_SIZE, 0x10, 0x10), "segment at the end of RAM refused");
	CHECK(!elf32_refused(RAM_SIZE - 0x1000, 0x100, 0x1000) && ram_is(RAM_SIZE - 1, 0, 1),
	      "segment ending at the last byte of RAM loads");
	CHECK(elf32_refused(0xFFFFF000, 0x100, 0x2000), "segment at 0xFFFFF000 (ELF32) refused");
	reset();
	elf_one(2, -0x1000ULL, 0x100, 0x2000);
	CHECK(!load_image(0x400, "guest"), "segment at 2^64-0x1000 (ELF64, wraps) refused");
	CHECK(elf32_refused(0xA0000, 0x100, 0x1000), "segment in the VGA hole (0xA0000) refused");
	CHECK(elf32_refused(0x9F800, 0x100, 0x1000), "segment into the VGA hole refused");
	CHECK(elf32_refused(0xB7800, 0x100, 0x1000), "segment across 0xB8000 refused");
	CHECK(elf32_refused(0x400, 0x100, 0x100) && logged("real-mode interrupt table"),
	      "segment at 0x400 (the BIOS data area) refused");
	CHECK(!elf32_refused(0x8000, 0x100, 0x5a30) && ram_holds(0x8000, DATA, 0x100),
	      "segment at 0x8000 below the stack (kvm-unit-tests' realmode) loads");
	CHECK(elf32_refused(0xD000, 0x100, 0x2000) && logged("its stack and Multiboot"),
	      "segment reaching into the guest stack (0xE000-0x10000) refused");
	CHECK(elf32_refused(0x10000, 0x100, 0x100), "segment at 0x10000 (the info block) refused");
	CHECK(elf32_refused(0x1F000, 0x100, 0x2000), "segment across 0x20000 refused");
	CHECK(!elf32_refused(0x20000, 0x100, 0x100) && ram_holds(0x20000, DATA, 0x100),
	      "segment at 0x20000, just above the loader's area, loads");
	reset();
	elf(1, MB, 2);
	phdr(1, 0, 1, DATA, MB, MB, 0x100, 0x100);
	phdr(1, 1, 1, DATA, 0x18000, 0x18000, 0x100, 0x100);
	CHECK(!load_image(0x400, "guest"), "a second segment at 0x18000 refused");
}

/* Header fields that, unchecked, make the loader read outside the module or lose bits. */
static void test_bad_elf_fields(void)
{
	reset();
	elf(1, MB, 1);
	put32(28, 0x3FC);
	put16(42, 4);
	CHECK(!load_image(0x400, "guest") && logged("e_phentsize 4"),
	      "ELF32 e_phentsize 4 (an Elf32_Phdr is 32 bytes), table in the last 4 bytes: refused");
	reset();
	elf(2, MB, 1);
	put16(54, 55);
	CHECK(!load_image(0x400, "guest") && logged("e_phentsize 55"),
	      "ELF64 e_phentsize 55 (an Elf64_Phdr is 56 bytes): refused");
	reset();
	elf_one(1, MB, 0x100, 0x100);
	put16(42, 40);
	CHECK(load_image(0x400, "guest") && ram_holds(MB, DATA, 0x100),
	      "ELF32 e_phentsize 40 (entries padded past 32 bytes): loads");
	reset();
	elf(2, MB, 1);
	put64(32, -8ULL);
	CHECK(!load_image(0x400, "guest") && logged("program headers run past"),
	      "ELF64 e_phoff 2^64-8 (phoff + phentsize wraps): refused");
	reset();
	elf(2, MB, 1);
	phdr(2, 0, 1, -16ULL, MB, MB, 32, 32);
	CHECK(!load_image(0x400, "guest") && logged("runs past the end of the file") &&
	      ram_is(MB, 0xCC, 32), "ELF64 p_offset 2^64-16, p_filesz 32 (wraps): refused, RAM untouched");
	reset();
	elf(2, 0x100100000ULL, 1);
	phdr(2, 0, 1, DATA, MB, MB, 0x100, 0x100);
	CHECK(!load_image(0x400, "guest") && logged("above 4 GiB") && boot.eip == 0,
	      "ELF64 entry 0x100100000 in no segment (EIP is 32 bits): refused, not truncated");
	reset();
	elf(2, 0xFFFFFFFFULL, 1);
	phdr(2, 0, 1, DATA, MB, MB, 0x100, 0x100);
	CHECK(load_image(0x400, "guest") && boot.eip == 0xFFFFFFFF,
	      "ELF64 entry 0xFFFFFFFF in no segment: the highest 32-bit EIP, kept");
}

static bool aout_refused(size_t size, u32 header, u32 load, u32 load_end, u32 bss_end)
{
	reset();
	mb_header(0, 0x10003);
	aout_fields(0, header, load, load_end, bss_end, load);
	return !load_image(size, "guest");
}

static void test_bad_aout(void)
{
	CHECK(aout_refused(0x400, MB, MB + 0x10, 0, 0) && logged("inconsistent"),
	      "a.out header_addr below load_addr refused");
	CHECK(aout_refused(0x400, MB + 0x10, MB, 0, 0), "a.out file would start before its start");
	CHECK(aout_refused(0x400, MB, MB, MB - 1, 0), "a.out load_end_addr below load_addr refused");
	CHECK(aout_refused(0x400, MB, MB, MB + 0x401, 0), "a.out load_end_addr past the file refused");
	CHECK(aout_refused(0x400, MB, MB, MB + 0x400, MB + 0x3FF) && logged("inconsistent"),
	      "a.out bss_end_addr below load_end_addr refused");
	CHECK(aout_refused(0x400, RAM_SIZE - 0x200, RAM_SIZE - 0x200, 0, 0), "a.out past RAM refused");
	CHECK(aout_refused(0x400, 0x100, 0x100, 0, 0), "a.out at 0x100 (the IVT) refused");
	CHECK(aout_refused(0x400, 0xFE00, 0xFE00, 0, 0), "a.out at 0xFE00 (the stack) refused");
	CHECK(aout_refused(0x400, 0xA0000, 0xA0000, 0, 0), "a.out in the VGA hole refused");
	reset();
	mb_header(0, 0x10003);
	CHECK(!load_image(32, "guest"), "a.out header cut off after 32 bytes refused");
}

int main(void)
{
	test_elf32();
	test_elf64_and_aout();
	test_modules();
	test_no_guest();
	test_bad_header();
	test_bad_elf();
	test_bad_elf_fields();
	test_bad_aout();
	return check_done();
}
