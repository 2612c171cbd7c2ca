"""Milestone 6, feature consolidation (CONTRACT.md 10), complete: four guests; typed commands
reach the focused guest alone, and the keyboard's hotkey moves the focus; a guest's files
are invisible to the others; round robin shares the CPU and an idle guest takes almost none;
a guest that crashes or reaches for memory it lacks ends alone while the others answer.

Stock SWEB writes no files and cannot time itself, so the file check boots the teaching OS
(its shell writes files on its disk, ../test_m4_guest_os.py) and the CPU checks boot the
cpushare test guest (images/tests/cpushare.c: its share of the TSC's time, from inside).
"""
import re

import pytest

from features_common import (
    BOOT,
    GUEST_TARGETS,
    SWEB_TARGETS,
    WINDOW,
    WORK,
    boot_swebs,
    counted,
    guest_end,
)
from lab.contract import EndCode
from lab.grading import scenario
from lab.guestlist import GuestSpec
from lab.several import boot_guests
from lab.swebos import PROMPT
from lab.targets import target_id
from lab.teachos import Shell

AWAKE = re.compile(r"cpushare: idle awake permille=(\d+),")


def _ls_reaches_only(m, shells, k: int) -> None:
    """`ls` typed while guest K has the focus: its output on the screen, and a new prompt on
    guest K's console alone."""
    before = [m.guest(j).text().count(PROMPT) for j in range(len(shells))]
    assert shells[k].run("ls") == ["[D] usr", "[D] dev"], f"guest {k}"
    after = [m.guest(j).text().count(PROMPT) for j in range(len(shells))]
    assert [a - b for a, b in zip(after, before)] == [int(j == k) for j in range(len(shells))], \
        f"new prompts per guest after ls typed to guest {k}"


@scenario("m6", 4, feature="consolidation")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_commands_typed_reach_the_focused_guest_of_four_alone(boot, sweb, target):
    m, shells = boot_swebs(boot, sweb, target, 4)
    for k in (2, 1, 3):
        _ls_reaches_only(m, shells, k)


@scenario("m6", 2, feature="consolidation")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_the_focus_hotkey_gives_the_keyboard_to_the_guest_it_names(boot, sweb, target):
    m, shells = boot_swebs(boot, sweb, target, 2)
    for k in (1, 0):
        m.focus_by_hotkey(k)  # Ctrl+Alt+F(K+1) on the machine's keyboard, nothing on COM2
        _ls_reaches_only(m, shells, k)


@scenario("m6", 6, feature="consolidation")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_file_one_guest_writes_is_invisible_to_the_other(boot, lab_outputs, target):
    teachos = GuestSpec(kernel=lab_outputs.os_kernel, disk=lab_outputs.os_disk)
    m = boot_guests(boot, target, [teachos, teachos])
    shells = [Shell(m, BOOT, guest=k) for k in (0, 1)]
    for shell in shells:
        shell.wait_ready()
    assert "only-guest-0" not in shells[1].run("ls")
    shells[0].run("echo only-guest-0 > mine.txt")
    assert "only-guest-0" in shells[0].run("cat mine.txt")
    assert "mine.txt" not in shells[1].run("ls")
    assert "only-guest-0" not in shells[1].run("cat mine.txt")


@scenario("m6", 6, feature="consolidation")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_two_cpu_bound_guests_each_get_half_the_cpu(boot, target):
    """Each guest counts the rounds of work it gets done in the same window of time, side
    by side: the CPU they share splits in the ratio of their counts (and a hypervisor that
    runs one guest after the other is caught by their ends)."""
    busy = GuestSpec(guest="cpushare", args=f"window={WINDOW}")
    m = boot_guests(boot, target, [busy, busy])
    work = []
    for k in range(2):
        work.append(counted(m, k, WORK)[0])
        # Each spins a window more after its count: side by side, neither has ended when the
        # other's count comes. Run one after the other, the first has.
        ended = [j for j in range(2) if guest_end(m, j) is not None]
        assert not ended, f"guest {ended[0]} ended before guest {k} had its count: the " \
                          "two did not run side by side"
    assert min(work) > 0, f"a guest got no work done (rounds {work})"
    for k, done in enumerate(work):
        assert 0.40 <= done / sum(work) <= 0.60, \
            f"guest {k} got {done / sum(work):.0%} of the CPU the two got (rounds {work})"


@scenario("m6", 4, feature="consolidation")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_an_idle_guest_takes_under_5_percent_of_the_cpu(boot, target):
    """The idle guest halts for a window, woken 100 times a second by its timer, beside a
    busy one, and adds up the time it is awake; then it ends, and the busy guest measures a
    second window alone. A hypervisor that lets a halted guest keep the CPU (waiting out its
    slice, or its timer) takes that time from the busy guest's first window. That comparison
    of two windows holds on Bochs only, where the guests' clock counts instructions: under
    QEMU TCG it is the host's, and another emulator on the host moved it by a quarter
    (447284 rounds beside the idle guest, 612346 alone, on an otherwise idle 2-core host)."""
    m = boot_guests(boot, target, [GuestSpec(guest="cpushare",
                                             args=f"window={WINDOW} windows=2"),
                                   GuestSpec(guest="cpushare", args=f"window={WINDOW} "
                                                                     "mode=idle")])
    awake = counted(m, 1, AWAKE)[0]
    beside, alone = counted(m, 0, WORK, 2)
    assert awake < 50, f"the idle guest was awake for {awake / 10:.1f}% of the time (< 5%)"
    if target[0] == "bochs":
        assert alone > 0 and beside / alone >= 0.9, \
            f"the busy guest got {beside} rounds beside the idle one, {alone} alone after it"


def _others_answer(m, shells, ended: int) -> None:
    for k, shell in enumerate(shells):
        assert shell.run("ls") == ["[D] usr", "[D] dev"], f"guest {k} after guest {ended} ended"
    assert not m.ended, "the run ended with the one guest"


@scenario("m6", 4, feature="consolidation")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_a_crashing_guest_ends_alone_while_the_others_answer(boot, sweb, target):
    m, shells = boot_swebs(boot, sweb, target, 2, extra=[GuestSpec(guest="triple_fault")])
    m.wait_for(r"@lab guest-end id=2 ", BOOT, channel="log")
    assert guest_end(m, 2) == (EndCode.GUEST_CRASH, "guest-crash")
    _others_answer(m, shells, 2)


@scenario("m6", 4, feature="consolidation")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_a_guest_reaching_past_its_memory_ends_alone(boot, sweb, target):
    # at=end: the first byte past its own RAM, where the next guest's memory may well lie
    m, shells = boot_swebs(boot, sweb, target, 2,
                           extra=[GuestSpec(guest="outside_ram", args="at=end", mem=8)])
    m.wait_for(r"@lab guest-end id=2 ", BOOT, channel="log")
    assert guest_end(m, 2) == (EndCode.GUEST_CRASH, "guest-crash")
    _others_answer(m, shells, 2)
