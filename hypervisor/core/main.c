/*
 * The hypervisor's start in C, called by boot/entry.S in long mode. The init order:
 * the log (so that everything after can report), descriptor tables (so that every
 * fault is reported), the CPU, the boot information, then virtualization.
 */
#include "boot.h"
#include "cmdline.h"
#include "cpu.h"
#include "desc.h"
#include "hostirq.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "multiboot.h"
#include "run_end.h"
#include "virt.h"
#include "vm.h"

#define HV_NAME "reference-hv"

/* An unmapped, canonical address: boot/entry.S maps only the first 4 GiB. */
#define SELFTEST_PF_ADDR 0x0000004000000000ULL

static void log_modules(const struct multiboot_info *mbi, bool *has_guest)
{
	const struct multiboot_module *mod = (const void *)(u64)mbi->mods_addr;
	u32 n = (mbi->flags & MULTIBOOT_INFO_MODS) ? mbi->mods_count : 0;

	*has_guest = false;
	log_printf("modules: %u\n", n);
	for (u32 i = 0; i < n; i++) {
		const char *str = mod[i].string ? (const char *)(u64)mod[i].string : "";
		const char *words = cmdline_words(str);

		log_printf("module %u: [%#x, %#x) %u bytes '%s'\n", i, mod[i].mod_start,
			   mod[i].mod_end, mod[i].mod_end - mod[i].mod_start, str);
		/* The role word starts the string (CONTRACT.md 2). */
		if (!strncmp(words, "guest", 5) && (words[5] == ' ' || words[5] == '\0'))
			*has_guest = true;
	}
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

/* Milestone 2: build the VM, load the guest into it, and run it to the end. */
static __noreturn void run_guest(const struct virt_ops *ops, const struct multiboot_info *mbi,
				 const struct hv_config *cfg)
{
	static struct vm vm;
	struct vcpu_boot boot;
	const char *why = NULL;

	if (!ops->vcpu_init || !ops->run)
		panic("the %s backend cannot run guests yet", ops->name);
	vm_create(&vm, ops, cfg->guest_mem_mib);
	vm.watchdog_ms = cfg->watchdog_ms;
	platform_init(&vm);
	if (!guest_load(&vm, mbi, &boot))
		run_end(END_CONFIG);
	if (!ops->vcpu_init(&vm.vcpu, &boot, &why))
		panic("setting up the vCPU failed: %s", why);
	vm_run(&vm);
}

void hv_main(void)
{
	const struct multiboot_info *mbi = (const void *)(u64)boot_mbi;
	const char *cmdline = "";
	const struct virt_ops *ops;
	struct hv_config cfg;
	bool has_guest;

	log_init();
	log_printf("@lab boot name=" HV_NAME "\n");
	gdt_init();
	idt_init();

	if (boot_magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic("not started by a Multiboot loader (EAX=%#x)", boot_magic);

	cpu_identify();
	log_printf("cpu: %s, %s (family %#x model %#x stepping %u)\n", boot_cpu.vendor,
		   boot_cpu.brand, boot_cpu.family, boot_cpu.model, boot_cpu.stepping);
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		cmdline = (const char *)(u64)mbi->cmdline;
	log_printf("cmdline: '%s'\n", cmdline);
	mem_init(mbi);
	log_modules(mbi, &has_guest);
	hostirq_init();
	timer_init();

	if (!cmdline_parse(cmdline, &cfg))
		run_end(END_CONFIG);
	selftest(cfg.selftest);

	ops = virt_init(cfg.backend);

	if (has_guest)
		run_guest(ops, mbi, &cfg);
	log_printf("no guest module: the milestone 1 self-check passed\n");
	run_end(END_PASS);
}
