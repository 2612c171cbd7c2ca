"""Robustness (no points): a hostile guest cannot crash or hang the hypervisor.

Each case boots images/tests/hostile.c (its attacks, by kind, in images/tests/hostile/) with
one attack (`attack=NAME`). An attack with an architectural answer (a #GP, a #UD, an
instruction that completes) is checked by the guest itself, which then passes. Every other
attack must end the guest with the contract's guest-crash code (docs/CONTRACT.md section 4)
and an end line: the hypervisor survived, stopped the guest and said so. A panic, a hang, an
emulator that dies or a guest that carries on all fail.
"""
import pytest

from features_common import WINDOW, WORK, counted
from guests import GUEST_TARGETS, run_guest
from lab.contract import EndCode
from lab.grading import scenario
from lab.guestlist import GuestSpec
from lab.several import boot_guests
from lab.targets import target_id

RUN_DEADLINE = 60

ANSWERED = {
    "msr-noncanonical": "WRMSR of a non-canonical address to LSTAR, CSTAR, KERNEL_GS_BASE, "
                        "FS/GS base (and SYSENTER_ESP/EIP on Intel) raises #GP",
    "mwait": "MONITOR and MWAIT raise #UD when CPUID does not list them",
    "invd": "INVD completes",
    "xsetbv-rdtscp": "XSETBV checked and taken (XGETBV reads it back), RDTSCP returns TSC_AUX",
    "vmx-insns": "the eleven VMX instructions raise #UD (CPUID says no VMX)",
    "svm-insns": "the SVM instructions but VMMCALL raise #UD (CPUID says no SVM)",
    "msr-classes": "VMX and SVM MSRs, unknown MSRs, EFER reserved bits and SVME, a bad PAT: #GP",
    "hypercall-bogus": "unknown hypercalls and puts from outside RAM, too long: -1 each",
    "port-read-sweep": "every port read (words and dwords in the ISA range too)",
    "port-write-sweep": "every port but the console and the guest's exit (0xF4-0xF7): 0",
    "pic-pit-garbage": "20000 random PIC and PIT accesses, then the timer works again",
    "irq-storm": "10000 pulses of an IRQ line, each taken once",
    "cpuid-sweep": "every CPUID range, and VMX and SVM stay hidden",
    "cr-illegal": "CR4 with a reserved bit, CR4.VMXE without VMX: #GP",
    "uart-garbage": "5000 random UART register writes, then the console prints again",
    "crtc-garbage": "5000 random CRTC accesses, then a cursor register reads back",
    "i8042-garbage": "5000 random i8042 accesses, then its self-test answers",
    "hypercall-storm": "20000 one-byte puts hypercalls, each answered",
    "sysenter-cs-zero": "SYSENTER with SYSENTER_CS = 0 raises #GP",
    "port-wrap": "dword and word accesses at the top of the port space",
    "addr16-string-wrap": "a 16-bit REP OUTSB wraps SI within its segment",
}

STOPPED = {
    "halt-masked": "STI; HLT with every PIC line masked can never wake",
    "vga-exec": "a call into the VGA text window (device memory, not code)",
    "pd-in-vga": "paging with its page directory in the VGA graphics window",
    "pse36": "an OUTS from a 4 MiB page whose PSE-36 bits put it above 4 GiB",
    "pg-without-pe": "MOV CR0 with PG and without PE, no IDT: a triple fault",
    "pdpte-reserved": "PAE with a reserved bit in a PDPTE, no IDT: a triple fault",
    "rep-insb-down": "REP INSB downwards with the largest count, out of guest RAM",
    "gdt-outside-ram": "a segment load from a GDT outside guest RAM",
    "idt-outside-ram": "an interrupt through an IDT outside guest RAM",
    "stack-outside-ram": "a push onto a stack outside guest RAM",
    "halt-if-off": "CLI; HLT: nothing can wake it",
    "ram-straddle": "a dword read across the end of guest RAM",
    "insw-straddle": "REP INSW across the end of guest RAM",
    "cr3-outside-ram": "paging with its page directory outside guest RAM",
    "idt-too-short": "INT 0x80 through a four-entry IDT: #GP, #DF, a triple fault",
}

# CR0.NW without CD: hardware answers #GP (and the guest passes); QEMU's TCG takes it, and
# then the VMCB's guest state is illegal and the guest is stopped at the next VMRUN (APM
# Vol. 2 15.5.1). Either way the run ends with an end line. (CR4 writes exit on SVM, and the
# core checks them, so CR4 is answered everywhere.)
CONTAINED = {
    "cr0-nw-without-cd": "CR0.NW without CD",
}


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("attack", sorted(ANSWERED))
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_hostile_guest_gets_the_architectural_answer(boot, target, attack):
    m, r, rep = run_guest(boot, target, "hostile", RUN_DEADLINE, guest_args=f"attack={attack}")
    assert f"attack {attack}" in m.console_text(), m.console_text()[-500:]
    # AMD ignores SYSENTER_ESP/EIP's upper half, so the guest skips those two checks there;
    # any other skip under a hypervisor is a failure (as in guests.assert_clean_pass)
    amd_only = [s for s in rep.skips if r.backend == "svm" and s.startswith("WRMSR SYSENTER_")]
    assert rep.skips == amd_only, f"SKIP lines under a hypervisor: {rep.skips}"
    assert rep.failures == [] and rep.passes, f"FAIL lines: {rep.failures}; {r.describe()}"
    assert rep.summary == (len(rep.passes) + len(rep.skips), 0, len(rep.skips)), rep.summary
    assert r.end_code == EndCode.PASS, r.describe()


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("attack", sorted(STOPPED))
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_hostile_guest_is_stopped_alone(boot, target, attack):
    m, r, rep = run_guest(boot, target, "hostile", RUN_DEADLINE, guest_args=f"attack={attack}")
    # it got as far as the attack (an earlier crash proves nothing), and never past it
    assert f"attack {attack}" in m.console_text(), m.console_text()[-500:]
    assert rep.failures == [], f"the guest survived its attack: {rep.failures}"
    assert r.stop == "end-line", f"the hypervisor did not survive: {r.describe()}"
    assert r.end_code == EndCode.GUEST_CRASH, r.describe()


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("attack", sorted(CONTAINED))
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_hostile_guest_is_answered_or_stopped(boot, target, attack):
    m, r, rep = run_guest(boot, target, "hostile", RUN_DEADLINE, guest_args=f"attack={attack}")
    assert f"attack {attack}" in m.console_text(), m.console_text()[-500:]
    assert r.stop == "end-line", f"the hypervisor did not survive: {r.describe()}"
    if r.end_code == EndCode.PASS:
        assert rep.failures == [] and rep.passes, rep.failures
    else:
        assert r.end_code == EndCode.GUEST_CRASH, r.describe()
        assert rep.failures == [], f"the guest survived its attack: {rep.failures}"


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_guest_cannot_forge_the_end_or_reset_the_machine(boot, target):
    # the end line written to COM2 (the log channel), the ACPI and Bochs ends, and three
    # reset lines (port 0xF4 is the guest's own exit: CONTRACT.md 4); then the guest ends
    # itself with code 7
    m, r, rep = run_guest(boot, target, "hostile", RUN_DEADLINE, guest_args="attack=forge-end")
    assert "still running after every forged end and reset" in m.console_text(), \
        m.console_text()[-500:]
    assert (r.stop, r.end_code) == ("end-line", EndCode.FAIL), r.describe()


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_console_flood_loses_nothing_that_follows_it(boot, target):
    # A flood on port 0xE9 with REP OUTSB, then a line: the wait for that line must see it.
    # 4 MiB on QEMU, four times the pipe the lab's console pump once dropped bytes from;
    # Bochs paces its UART (about 4 KiB/s here), so there 64 KiB.
    kib = 4096 if target[0].startswith("qemu") else 64
    m = boot(*target, guest="hostile", guest_args=f"attack=console-flood kib={kib}")
    m.wait_for(r"flood over\r?\n", RUN_DEADLINE * 2)
    r = m.wait_end(RUN_DEADLINE)
    assert r.end_code == EndCode.PASS, r.describe()
    assert m.console_text().count("F" * 63 + "\n") == kib * 16, "the flood did not all arrive"


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_long_rep_is_carried_out_in_pieces_that_interrupts_come_between(boot, target):
    # REP INSB downwards from just below 1 MiB with the PIT at 1000 Hz: its tick handler
    # prints "T". Done in one exit no tick could come before the transfer leaves guest RAM
    # and the guest is stopped; done in pieces, as hardware allows, they come in between.
    m, r, rep = run_guest(boot, target, "hostile", RUN_DEADLINE,
                          guest_args="attack=rep-insb-ticking")
    after = m.console_text().partition("attack rep-insb-ticking")[2]
    assert after, m.console_text()[-500:]
    assert "T" in after, f"no tick came during the REP: {after[-300:]!r}"
    assert rep.failures == [], f"the guest survived its attack: {rep.failures}"
    assert (r.stop, r.end_code) == ("end-line", EndCode.GUEST_CRASH), r.describe()


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_guest_cannot_write_as_another_on_the_console(boot, target):
    """One guest against another (CONTRACT.md 10): guest 0 writes the tag of guest 1 and
    text after it; the text must stay guest 0's."""
    m = boot_guests(boot, target, [GuestSpec(guest="hostile", args="attack=forge-tag"),
                                   GuestSpec(guest="hello")])
    m.wait_for("forge-tag done", RUN_DEADLINE, channel="guest0")
    m.wait_for("EXIT: code=0", RUN_DEADLINE, channel="guest1")
    assert "forged as guest 1" not in m.guest(1).text(), m.guest(1).text()[-300:]
    assert "\x1bg1forged as guest 1" in m.guest(0).text(), m.guest(0).text()[-300:]


@scenario("robustness", 0)
@pytest.mark.robustness
@pytest.mark.parametrize("target", [t for t in GUEST_TARGETS if t[0] == "bochs"], ids=target_id)
def test_a_guest_flooding_its_console_leaves_the_other_its_share(boot, target):
    """One guest against another (CONTRACT.md 10): guest 1 writes its console as fast as it
    can (a long REP OUTSB at a time) for one window while guest 0 counts its rounds of
    work; then guest 0 counts a window alone. Round robin owes it half the CPU beside the
    flood: a hypervisor that lets one long string exit outlast the slice gives it far less
    (measured before the fix: 2% to 4% of its share alone on every target)."""
    # Bochs only: with clock sync=none its guest TSC counts instructions, so the share is
    # exact whatever the host's load. Under QEMU TCG the guest's clock is the host's: the
    # same run gave 72% on an idle host and 18% (and a timeout) beside a test suite.
    # Bochs paces its UART (about 6 KiB a second of guest time), so 4 KiB a REP: the flood
    # still ends with its window, and one such exit takes far longer than a slice.
    flood = f"window={WINDOW} mode=flood kib=4"
    m = boot_guests(boot, target, [GuestSpec(guest="cpushare", args=f"window={WINDOW} windows=2"),
                                   GuestSpec(guest="cpushare", args=flood)])
    beside, alone = counted(m, 0, WORK, 2)
    flooded = int(m.wait_for(r"cpushare: flooded (\d+) KiB", RUN_DEADLINE,
                             channel="guest1").split()[-2])
    assert flooded > 0, "the flooding guest wrote nothing"
    assert alone > 0 and beside / alone >= 0.4, \
        f"the busy guest got {beside} rounds beside the flood, {alone} alone after it " \
        f"({beside / alone:.0%}; half is its share)"
