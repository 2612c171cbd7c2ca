"""Milestone 3 (5 points): interrupts, the emulated 8259 PIC pair, the PIT and the keyboard.

The guests check from inside (images/tests/); the keyboard and serial scenarios type on the
emulated machine's PS/2 keyboard and COM1, so they test the whole path from the host.
"""
import pytest

from guests import GUEST_TARGETS, assert_clean_pass, run_guest
from lab.contract import EndCode
from lab.grading import scenario
from lab.targets import target_id

RUN_DEADLINE = 90
KEY_DEADLINE = 30


@scenario("m3", 1)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_timer_ticks_at_100_and_1000_hz_within_10_percent(boot, target):
    m, r, rep = run_guest(boot, target, "timer", RUN_DEADLINE)
    assert_clean_pass(r, rep)


@scenario("m3", 1)
@pytest.mark.parametrize("guest", ["irqmask", "eoi", "cascade"])
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_pic_masks_eoi_and_cascade_behave_as_the_8259a(boot, target, guest):
    m, r, rep = run_guest(boot, target, guest, RUN_DEADLINE)
    assert_clean_pass(r, rep)


@scenario("m3", 1)
@pytest.mark.parametrize("guest", ["hltwake", "shadow"])
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_hlt_wakes_and_the_interrupt_shadow_holds(request, boot, target, guest):
    if guest == "shadow" and target == ("qemu-tcg", "svm"):
        request.applymarker(pytest.mark.xfail(strict=False, reason=SHADOW_ON_TCG))
    m, r, rep = run_guest(boot, target, guest, RUN_DEADLINE)
    assert_clean_pass(r, rep)


# Measured 2026-12-03: 1 to 3 of the 50 rounds take the interrupt inside the STI shadow in
# about one run in four on qemu-tcg/svm, never on Bochs. The cause, found 2026-12-05, is QEMU's
# (Debian 12 has 7.2): it takes a physical interrupt's #VMEXIT inside the guest's STI shadow,
# and its next VMRUN does not load the shadow back from the VMCB (fixed upstream in 2024, QEMU
# 9.1: "target/i386: fix INHIBIT_IRQ/TF/RF handling for VMRUN"), so the virtual interrupt
# window opens one instruction early and the hypervisor, seeing no shadow any more, injects
# there. Shown with a log line at each exit whose VMCB has the shadow set: in 10 runs, every
# failing run (4) had an INTR exit (0x60) at `shadow_mov` or `shadow_out`, as many as the
# rounds that failed, and no passing run had one. A team is not failed at random for QEMU's
# bug: the case counts only when it passes.
SHADOW_ON_TCG = ("flaky on qemu-tcg/svm (about 1 run in 3 takes an interrupt inside the STI "
                 "shadow): QEMU 7.2's VMRUN drops the shadow of a guest it left by a physical "
                 "interrupt's #VMEXIT (fixed in QEMU 9.1)")


@scenario("m3", 1)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_typed_keys_reach_the_guest_through_the_i8042(boot, target):
    m = boot(*target, guest="keyboard")
    m.wait_for(r"KBD ready\n", KEY_DEADLINE)
    m.type_text("lab ok\n")
    m.wait_for(r"typed: lab ok\n", KEY_DEADLINE, failure=r"FAIL: .*")
    r = m.wait_end(RUN_DEADLINE)
    assert r.end_code == EndCode.PASS, r.describe()
    assert "key 0x26" in m.console_text(), "the make code of 'l' (0x26) was not reported"


@scenario("m3", 0.5)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_serial_input_reaches_the_guest_with_irq4(boot, target):
    m = boot(*target, guest="serialin")
    m.wait_for(r"SERIAL ready\n", KEY_DEADLINE)
    m.send("hello lab\r")
    m.wait_for(r"got: hello lab\n", KEY_DEADLINE, failure=r"FAIL: .*")
    assert m.wait_end(RUN_DEADLINE).end_code == EndCode.PASS


@scenario("m3", 0.5)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_runaway_guest_is_stopped_by_the_watchdog(boot, target):
    # The guest spins with IF=0 and says nothing: a stalled machine to the lab after a
    # while, so the lab waits 10 s of quiet, far past the 500 ms watchdog, before it says so.
    m, r, rep = run_guest(boot, target, "runaway", RUN_DEADLINE, stall=10,
                          append="watchdog=500")
    assert "running away" in m.console_text()
    assert r.end_code == EndCode.WATCHDOG, r.describe()
