// hostile: one attack on the hypervisor, chosen by `attack=NAME` on the guest's command line,
// of the kinds an attacker tries first (issue 13's list of what once crashed or hung the
// reference). The guest prints "attack NAME" before it strikes. Some attacks have an
// architectural answer the guest checks itself (a #GP, a #UD) and then reports PASS; the
// rest must end the guest, never the hypervisor: the scenario reads the end code
// (scenarios/test_robustness.py). Nothing here is meant to survive if the attack works.
#include "hostile/hostile.h"

struct attack {
    const char *name;
    void (*run)(const struct multiboot_info *info);
};

bool is_intel(void)
{
    struct cpuid_result r = cpuid(0);
    return r.ebx == 0x756e6547;   // "Genu"
}

static const struct attack attacks[] = {
    { "msr-noncanonical", msr_noncanonical },
    { "halt-masked", halt_masked },
    { "vga-exec", vga_exec },
    { "mwait", mwait },
    { "invd", invd },
    { "xsetbv-rdtscp", xsetbv_rdtscp },
    { "pd-in-vga", pd_in_vga },
    { "pd-in-vga-text", pd_in_vga_text },
    { "pse36", pse36 },
    { "pg-without-pe", pg_without_pe },
    { "pdpte-reserved", pdpte_reserved },
    { "rep-insb-down", rep_insb_down },
    { "rep-insb-ticking", rep_insb_ticking },
    { "vmx-insns", vmx_insns },
    { "svm-insns", svm_insns },
    { "msr-classes", msr_classes },
    { "cr-illegal", cr_illegal },
    { "cr0-nw-without-cd", cr0_nw_without_cd },
    { "port-read-sweep", port_read_sweep },
    { "port-write-sweep", port_write_sweep },
    { "forge-end", forge_end },
    { "forge-tag", forge_tag },
    { "hypercall-bogus", hypercall_bogus },
    { "gdt-outside-ram", gdt_outside_ram },
    { "idt-outside-ram", idt_outside_ram },
    { "stack-outside-ram", stack_outside_ram },
    { "halt-if-off", halt_if_off },
    { "pic-pit-garbage", pic_pit_garbage },
    { "irq-storm", irq_storm },
    { "cpuid-sweep", cpuid_sweep },
    { "uart-garbage", uart_garbage },
    { "crtc-garbage", crtc_garbage },
    { "i8042-garbage", i8042_garbage },
    { "console-flood", console_flood },
    { "hypercall-storm", hypercall_storm },
    { "ram-straddle", ram_straddle },
    { "insw-straddle", insw_straddle },
    { "cr3-outside-ram", cr3_outside_ram },
    { "idt-too-short", idt_too_short },
    { "sysenter-cs-zero", sysenter_cs_zero },
    { "port-wrap", port_wrap },
    { "addr16-string-wrap", addr16_string_wrap },
};

int main(struct multiboot_info *info)
{
    const char *want = cmdline_value(info, "attack=");
    for (unsigned i = 0; want && i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        size_t len = strlen(attacks[i].name);
        if (strncmp(want, attacks[i].name, len) == 0 && (want[len] == 0 || want[len] == ' ')) {
            printf("attack %s\n", attacks[i].name);
            attacks[i].run(info);
            return report_summary();
        }
    }
    report("attack= names an attack of this guest", false);
    return report_summary();
}
