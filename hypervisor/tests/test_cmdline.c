/* host-test-sources: core/cmdline.c core/disk.c core/portbus.c */
/*
 * Host unit tests for the command line (core/cmdline.c, CONTRACT.md 2): each documented
 * word with good and malformed values, the defaults, unknown words (logged, ignored), and
 * the image path a boot loader puts first.
 */
#include "core_harness.h"
#include "disk_harness.h"
#include "cmdline.h"
#include "check.h"

static struct hv_config cfg;

static bool parse(const char *line)
{
	log_clear();
	memset(&cfg, 0x5A, sizeof(cfg));	/* what cmdline_parse does not set shows */
	return cmdline_parse(line, &cfg);
}

static bool is_default(void)
{
	return cfg.backend == BACKEND_AUTO && cfg.guest_mem_mib == 32 && cfg.watchdog_ms == 0 &&
	       cfg.selftest[0] == '\0';
}

static void test_defaults(void)
{
	CHECK(parse(NULL) && is_default(), "no command line: backend auto, 32 MiB, no watchdog");
	CHECK(parse("") && is_default(), "empty command line: the defaults");
	CHECK(parse("   \t ") && is_default(), "only spaces and tabs: the defaults");
	CHECK(parse("watchdog=5") && parse("") && cfg.watchdog_ms == 0,
	      "each parse starts from the defaults");
}

static void test_backend(void)
{
	CHECK(parse("backend=vmx") && cfg.backend == BACKEND_VMX, "backend=vmx");
	CHECK(parse("backend=svm") && cfg.backend == BACKEND_SVM, "backend=svm");
	CHECK(parse("backend=svm backend=auto") && cfg.backend == BACKEND_AUTO,
	      "backend=auto (and the last word wins)");
	CHECK(!parse("backend=VMX"), "backend=VMX (case) is a bad value");
	CHECK(!parse("backend=vmxx"), "backend=vmxx is a bad value");
	CHECK(!parse("backend=vm"), "backend=vm (a prefix) is a bad value");
	CHECK(!parse("backend="), "backend= (empty) is a bad value");
	CHECK(!parse("backend"), "bare backend (no value) is a bad value");
	CHECK(!parse("backend=svm=1"), "backend=svm=1 is a bad value");
	CHECK(!parse("backend=bogus") && logged("bad value in 'backend=bogus'") &&
	      logged("auto, vmx or svm"), "a bad value is logged with the word and what it wants");
}

static void test_guest_mem(void)
{
	CHECK(parse("guest_mem=64") && cfg.guest_mem_mib == 64, "guest_mem=64");
	CHECK(parse("guest_mem=0x40") && cfg.guest_mem_mib == 64, "guest_mem=0x40 (hex) is 64");
	CHECK(parse("guest_mem=2") && cfg.guest_mem_mib == 2, "guest_mem=2, the least vm_create takes");
	CHECK(parse("guest_mem=4096") && cfg.guest_mem_mib == 4096,
	      "guest_mem=4096, all of the 4 GiB the hypervisor maps");
	CHECK(!parse("guest_mem=1") && logged("bad value in 'guest_mem=1'"),
	      "guest_mem=1 (below vm_create's 2 MiB) is a bad value, logged with the word");
	CHECK(!parse("guest_mem=4097"), "guest_mem=4097 (more than the 4 GiB mapped) is a bad value");
	CHECK(!parse("guest_mem=17592186044418"),
	      "guest_mem=2^44+2 (MiB << 20 wraps to 2 MiB) is a bad value");
	CHECK(!parse("guest_mem=18446744073709551615"), "guest_mem=2^64-1 is a bad value");
	CHECK(!parse("guest_mem=0"), "guest_mem=0 is a bad value");
	CHECK(!parse("guest_mem=-1"), "guest_mem=-1 is a bad value");
	CHECK(!parse("guest_mem=12M"), "guest_mem=12M is a bad value");
	CHECK(!parse("guest_mem=0x"), "guest_mem=0x is a bad value");
	CHECK(!parse("guest_mem=0xg"), "guest_mem=0xg is a bad value");
	CHECK(!parse("guest_mem=18446744073709551616"), "guest_mem=2^64 (overflow) is a bad value");
	CHECK(!parse("guest_mem="), "guest_mem= (empty) is a bad value");
	CHECK(!parse("guest_mem"), "bare guest_mem is a bad value");
}

static void test_watchdog(void)
{
	CHECK(parse("watchdog=500") && cfg.watchdog_ms == 500, "watchdog=500");
	CHECK(parse("watchdog=0") && cfg.watchdog_ms == 0, "watchdog=0 (off) is accepted");
	CHECK(!parse("watchdog=5s"), "watchdog=5s is a bad value");
	CHECK(!parse("watchdog=1.5"), "watchdog=1.5 is a bad value");
	CHECK(!parse("watchdog="), "watchdog= (empty) is a bad value");
	CHECK(!parse("watchdog"), "bare watchdog is a bad value");
}

static void test_selftest(void)
{
	CHECK(parse("selftest=ud2") && !strcmp(cfg.selftest, "ud2"), "selftest=ud2");
	CHECK(parse("selftest=pf") && !strcmp(cfg.selftest, "pf"), "selftest=pf");
	CHECK(!parse("selftest=ud"), "selftest=ud (a prefix) is a bad value");
	CHECK(!parse("selftest=pfx"), "selftest=pfx is a bad value");
	CHECK(!parse("selftest="), "selftest= (empty) is a bad value");
}

static void test_unknown_words(void)
{
	CHECK(parse("verbose") && is_default(), "an unknown flag is ignored");
	CHECK(logged("ignoring unknown word 'verbose'"), "an unknown flag is logged");
	CHECK(parse("colour=blue") && is_default() && logged("unknown word 'colour=blue'"),
	      "an unknown key=value is logged and ignored");
	CHECK(parse("Backend=svm") && cfg.backend == BACKEND_AUTO,
	      "Backend=svm (case) is an unknown word");
	CHECK(parse("backends=svm") && cfg.backend == BACKEND_AUTO, "backends=svm is unknown");
	CHECK(parse("back=svm") && cfg.backend == BACKEND_AUTO, "back=svm (a prefix) is unknown");
	CHECK(parse("=svm") && is_default(), "=svm (no key) is an unknown word");
	CHECK(parse("x backend=svm y=1 guest_mem=8 z") && cfg.backend == BACKEND_SVM &&
	      cfg.guest_mem_mib == 8 && log_lines == 3,
	      "unknown words between known ones: each logged, the known ones kept");
}

static void test_words(void)
{
	CHECK(parse("backend=svm guest_mem=64 watchdog=100 selftest=pf") &&
	      cfg.backend == BACKEND_SVM && cfg.guest_mem_mib == 64 && cfg.watchdog_ms == 100 &&
	      !strcmp(cfg.selftest, "pf"), "four words: each takes effect");
	CHECK(parse("  backend=vmx\t\tguest_mem=8 \r\n") && cfg.backend == BACKEND_VMX &&
	      cfg.guest_mem_mib == 8, "tabs, runs of spaces, CR and LF separate words");
	CHECK(parse("guest_mem=8 guest_mem=16") && cfg.guest_mem_mib == 16, "the last word wins");
	CHECK(!parse("guest_mem=64 backend=bogus watchdog=10"),
	      "one bad value among good ones: false");
}

/* CONTRACT.md 10: guest_mem is every guest's size unless guest_mem.K; disk is guest 0's. */
static void test_guest_words(void)
{
	CHECK(parse("guest_mem=16 guest_mem.2=64 disk=0:100 disk.1=100:50") &&
	      cfg.guest_mem_mib == 16 && cfg.guest[0].mem_mib == 0 && cfg.guest[2].mem_mib == 64 &&
	      cfg.guest[0].disk.enabled && cfg.guest[0].disk.count == 100 &&
	      cfg.guest[1].disk.enabled && cfg.guest[1].disk.start == 100 &&
	      cfg.guest[1].disk.count == 50 && !cfg.guest[2].disk.enabled && log_lines == 0,
	      "guest_mem.2 and disk.1 are those guests'; guest_mem the default, disk guest 0's");
	CHECK(parse("guest_mem.7=8") && cfg.guest[7].mem_mib == 8, "guest 7 is the last");
	CHECK(parse("guest_mem.8=8 disk.x=1 guest_mem.=8 guest_mem.10=8 watchdog.1=5") &&
	      log_lines == 5 && cfg.watchdog_ms == 0 && logged("unknown word 'guest_mem.8=8'"),
	      "guest 8, a letter, no digit, two digits, a word that is not per guest: unknown");
	CHECK(!parse("guest_mem.1=1") && logged("guest_mem wants a number of MiB"),
	      "guest_mem.1=1: a bad value, as for guest_mem");
	CHECK(parse("") && cfg.slice_ms == 10 && !cfg.dedup, "defaults: slice 10 ms, no dedup");
	CHECK(parse("slice=3 dedup") && cfg.slice_ms == 3 && cfg.dedup,
	      "slice=3 and the bare word dedup");
	CHECK(parse("dedup=on dedup=off") && !cfg.dedup, "dedup=off after dedup=on");
	CHECK(parse("") && !cfg.bios, "defaults: no BIOS state");
	CHECK(parse("bios") && cfg.bios && parse("bios=on bios=off") && !cfg.bios &&
	      !parse("bios=1"), "bios: the bare word, on and off; bios=1 is a bad value");
	CHECK(!parse("slice=0") && !parse("dedup=yes") && !parse("slice"),
	      "slice=0, dedup=yes and a bare slice are bad values");
}

static void test_image_path(void)
{
	const char *s = "backend=svm";

	CHECK(parse("/boot/hypervisor.elf backend=svm") && cfg.backend == BACKEND_SVM &&
	      log_lines == 0, "a first word with '/' and no '=' is the image path, skipped");
	CHECK(parse("/boot/hypervisor.elf") && is_default() && log_lines == 0,
	      "the image path alone: the defaults");
	CHECK(parse("hypervisor.elf backend=svm") && cfg.backend == BACKEND_SVM &&
	      logged("unknown word 'hypervisor.elf'"), "a first word without '/' is a word");
	CHECK(parse("/x=y") && logged("unknown word '/x=y'"),
	      "a first word with '/' and '=' is a word");
	CHECK(parse("backend=svm /boot/x") && logged("unknown word '/boot/x'"),
	      "a later word with '/' is a word");
	CHECK(cmdline_words(s) == s, "cmdline_words: no path, the same pointer");
	CHECK(!strcmp(cmdline_words("  /a/b   guest x"), "guest x"),
	      "cmdline_words: spaces, the path and spaces after it skipped");
	CHECK(!strcmp(cmdline_words("guest /a/b"), "guest /a/b"),
	      "cmdline_words: a path after the first word stays");
	CHECK(!strcmp(cmdline_words("/a/b"), ""), "cmdline_words: the path alone gives \"\"");
}

/* Last: disk.c keeps the region a disk= word chose. */
static void test_disk_word(void)
{
	CHECK(!parse("disk=0:0"), "disk=0:0 is a bad value");
	CHECK(!parse("disk=abc"), "disk=abc is a bad value");
	CHECK(!parse("disk="), "disk= (empty) is a bad value");
	CHECK(!parse("disk"), "bare disk is a bad value");
	CHECK(logged("START:COUNT or START, in sectors"), "a bad disk= says what it wants");
	CHECK(parse("backend=vmx disk=16:2048 watchdog=7") && cfg.backend == BACKEND_VMX &&
	      cfg.watchdog_ms == 7, "disk=16:2048 among other words");
	real_disk(4096);
	window = cfg.guest[0].disk;
	CHECK(run_ends(init_disk) == -1 && model() && model()->sectors == 2048,
	      "disk=16:2048: the guest disk has 2048 sectors");
	guest_command(ATA_CMD_READ_SECTORS, 0, 1);
	CHECK(guest_sector_is(16), "disk=16:2048: guest LBA 0 is real sector 16");
}

int main(void)
{
	test_defaults();
	test_backend();
	test_guest_mem();
	test_watchdog();
	test_selftest();
	test_unknown_words();
	test_words();
	test_guest_words();
	test_image_path();
	test_disk_word();
	return check_done();
}
