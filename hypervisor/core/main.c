/*
 * The hypervisor's start in C, called by boot/entry.S in long mode. The init order:
 * the log (so that everything after can report), descriptor tables (so that every
 * fault is reported), the CPU, the boot information, then virtualization.
 */
#include "boot.h"
#include "cmdline.h"
#include "cpu.h"
#include "dedup.h"
#include "desc.h"
#include "disk.h"
#include "firmware.h"
#include "hostirq.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "multiboot.h"
#include "run_end.h"
#include "virt.h"
#include "vm.h"
#include "xcr.h"

#define HV_NAME "reference-hv"

/* An unmapped, canonical address: boot/entry.S maps only the first 4 GiB. */
#define SELFTEST_PF_ADDR 0x0000004000000000ULL

/* Logs the modules; returns how many are guests (`guest` modules, CONTRACT.md 2, 10). */
static int log_modules(const struct multiboot_info *mbi)
{
	const struct multiboot_module *mod = (const void *)(u64)mbi->mods_addr;
	u32 n = (mbi->flags & MULTIBOOT_INFO_MODS) ? mbi->mods_count : 0;
	int guests = 0;

	log_printf("modules: %u\n", n);
	for (u32 i = 0; i < n; i++) {
		const char *str = mod[i].string ? (const char *)(u64)mod[i].string : "";
		const char *words = cmdline_words(str);

		log_printf("module %u: [%#x, %#x) %u bytes '%s'\n", i, mod[i].mod_start,
			   mod[i].mod_end, mod[i].mod_end - mod[i].mod_start, str);
		/* The role word starts the string (CONTRACT.md 2). */
		if (!strncmp(words, "guest", 5) && (words[5] == ' ' || words[5] == '\0'))
			guests++;
	}
	return guests;
}

static void selftest(const char *what)
{
	if (!what[0])
		return;
	log_printf("selftest: %s, a deliberate exception follows\n", what);
	if (!strcmp(what, "ud2"))
		asm volatile("ud2");
	if (!strcmp(what, "pf"))
		(void)*(volatile u64 *)SELFTEST_PF_ADDR;
	panic("selftest=%s did not fault", what);
}

/* CONTRACT.md 10: guests whose disks overlap, or more guests or memory than there is,
 * end the run (config) before any guest runs. Slack for each guest's tables and copies. */
#define GUEST_OVERHEAD_MIB 2

static bool guests_fit(const struct hv_config *cfg, int n, u64 *mib)
{
	u64 need = 0;

	if (n > MAX_GUESTS) {
		log_printf("guests: %d guest modules; at most %d guests\n", n, MAX_GUESTS);
		return false;
	}
	for (int k = 0; k < n; k++) {
		mib[k] = cfg->guest[k].mem_mib ? cfg->guest[k].mem_mib : cfg->guest_mem_mib;
		need += mib[k] + GUEST_OVERHEAD_MIB;
		for (int j = 0; j < k; j++)
			if (disk_windows_overlap(&cfg->guest[j].disk, &cfg->guest[k].disk)) {
				log_printf("guests: the disks of guests %d and %d overlap\n", j, k);
				return false;
			}
	}
	if (n > 1 && need << 20 > mem_free_bytes()) {
		log_printf("guests: %d guests need %lu MiB; the machine has %lu MiB free\n", n,
			   need, mem_free_bytes() >> 20);
		return false;
	}
	return true;
}

/* Milestone 2 (and 5, 6 with several): build the VMs, load each guest, run them. */
static __noreturn void run_guests(const struct virt_ops *ops, const struct multiboot_info *mbi,
				  const struct hv_config *cfg, int n)
{
	static struct vm vms[MAX_GUESTS];
	u64 mib[MAX_GUESTS];

	if (!ops->vcpu_init || !ops->run)
		panic("the %s backend cannot run guests yet", ops->name);
	if (!guests_fit(cfg, n, mib))
		run_end(END_CONFIG);
	for (int k = 0; k < n; k++) {
		struct vm *vm = &vms[k];
		struct vcpu_boot boot;
		const char *why = NULL;

		vm_create(vm, k, ops, mib[k], k == 0, cfg->dedup);
		vm->watchdog_ms = cfg->watchdog_ms;
		platform_init(vm, &cfg->guest[k].disk);
		if (!guest_load(vm, mbi, &boot) || (cfg->bios && !firmware_pc_state(vm)))
			run_end(END_CONFIG);
		if (!ops->vcpu_init(&vm->vcpu, &boot, &why))
			panic("setting up guest %d's vCPU failed: %s", k, why);
		log_printf("@lab guest id=%d mem=%lu\n", k, mib[k]);
	}
	platform_set_guests(vms, n);
	if (cfg->dedup)
		dedup_init(vms, n);
	vm_run(vms, n, cfg->slice_ms);
}

void hv_main(void)
{
	const struct multiboot_info *mbi = (const void *)(u64)boot_mbi;
	const char *cmdline = "";
	const struct virt_ops *ops;
	struct hv_config cfg;
	int guests;

	log_init();
	log_printf("@lab boot name=" HV_NAME "\n");
	gdt_init();
	idt_init();

	if (boot_magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic("not started by a Multiboot loader (EAX=%#x)", boot_magic);

	cpu_identify();
	cpu_set_paging_bits();
	log_printf("cpu: %s, %s (family %#x model %#x stepping %u)\n", boot_cpu.vendor,
		   boot_cpu.brand, boot_cpu.family, boot_cpu.model, boot_cpu.stepping);
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		cmdline = (const char *)(u64)mbi->cmdline;
	log_printf("cmdline: '%s'\n", cmdline);
	mem_init(mbi);
	guests = log_modules(mbi);
	hostirq_init();
	timer_init();
	cmos_init();

	if (!cmdline_parse(cmdline, &cfg))
		run_end(END_CONFIG);
	selftest(cfg.selftest);

	xcr_init();
	ops = virt_init(cfg.backend);

	if (guests)
		run_guests(ops, mbi, &cfg, guests);
	log_printf("no guest module: the milestone 1 self-check passed\n");
	run_end(END_PASS);
}
