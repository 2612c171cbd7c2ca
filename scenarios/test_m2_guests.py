"""Milestone 2 (15 points): guest code runs on VMX and SVM, with video output.

Each test guest (images/tests/) checks the hypervisor from inside and prints PASS/FAIL/SKIP
lines and a SUMMARY; the run's verdict is the contract's end code.
"""
import pytest

from guests import GUEST_TARGETS, assert_clean_pass, run_guest
from lab.contract import EndCode
from lab.grading import scenario
from lab.targets import target_id

RUN_DEADLINE = 60


@scenario("m2", 1)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_hello_guest_runs_and_ends_cleanly(boot, target):
    assert_clean_pass(*run_guest(boot, target, "hello", RUN_DEADLINE)[1:])


@scenario("m2", 2)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_cpuid_guest_sees_the_lab_leaves_and_no_vmx_or_svm(boot, target):
    assert_clean_pass(*run_guest(boot, target, "cpuid", RUN_DEADLINE)[1:])


@scenario("m2", 3)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_portio_guest_round_trips_every_width_and_string_form(boot, target):
    assert_clean_pass(*run_guest(boot, target, "portio", RUN_DEADLINE)[1:])


@scenario("m2", 2)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_msr_guest_gets_pass_through_emulation_and_gp(boot, target):
    assert_clean_pass(*run_guest(boot, target, "msr", RUN_DEADLINE)[1:])


@scenario("m2", 2)
@pytest.mark.parametrize("code", [0, 7], ids=["exit-0", "exit-7"])
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_hypercalls_print_and_end_the_guest(boot, target, code):
    """The exit hypercall's code is the verdict: 0 passes, anything else fails the run
    (CONTRACT.md 4 and 5), after the guest's own checks all passed."""
    m, r, rep = run_guest(boot, target, "hypercall", RUN_DEADLINE,
                          guest_args=f"exit={code}" if code else "")
    assert "hypercall puts works\n" in m.console_text()
    if code == 0:
        assert_clean_pass(r, rep)
    else:
        assert rep.failures == [] and f"exit hypercall with code {code}" in m.console_text()
        assert r.stop == "end-line" and r.end_code == EndCode.FAIL, r.describe()


# The vga guest's pattern (images/tests/vga.c): (row, column, attribute, text).
VGA_PATTERN = [(0, 0, 0x1F, "LAB VGA TEST"), (1, 0, 0x2E, "0123456789"),
               (24, 74, 0x4F, "BOTTOM")]


@scenario("m2", 2)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_vga_text_reaches_the_screen_cell_for_cell(boot, target):
    m, r, rep = run_guest(boot, target, "vga", RUN_DEADLINE)
    assert_clean_pass(r, rep)
    assert r.screen is not None, "the screen could not be read at the end of the run"
    expected = {}
    for row, col, attr, text in VGA_PATTERN:
        for i, ch in enumerate(text):
            expected[(row, col + i)] = (ch, attr)
    for row in range(25):
        for col in range(80):
            want = expected.get((row, col), (" ", 0x07))
            assert r.screen.cell(row, col) == want, f"cell ({row},{col})"


@scenario("m2", 1.5)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_triple_fault_stops_the_guest_not_the_hypervisor(boot, target):
    m, r, rep = run_guest(boot, target, "triple_fault", RUN_DEADLINE)
    assert "about to triple fault" in m.console_text()
    assert r.stop == "end-line", f"the hypervisor did not survive: {r.describe()}"
    assert r.end_code == EndCode.GUEST_CRASH, r.describe()


@scenario("m2", 1.5)
@pytest.mark.parametrize("where, address", [("far", "0xc0000000"), ("end", "0x02000000")],
                         ids=["far", "end"])  # end: the first byte past the default 32 MiB
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_read_outside_guest_ram_stops_the_guest(boot, target, where, address):
    m, r, rep = run_guest(boot, target, "outside_ram", RUN_DEADLINE, guest_args=f"at={where}")
    # it got as far as the read (an earlier crash proves nothing), and the read never returned
    assert f"reading {address}" in m.console_text(), m.console_text()[-500:]
    assert "read outside RAM returned" not in m.console_text(), "the read returned"
    assert r.end_code == EndCode.GUEST_CRASH, r.describe()
