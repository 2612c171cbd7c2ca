"""Milestone 5, feature consolidation (CONTRACT.md 10): a proof of concept, two SWEBs booted
to their prompts under one hypervisor, each on its own tagged console, each taking commands
when it has the focus."""
import pytest

from features_common import SWEB_TARGETS, boot_swebs
from lab.grading import scenario
from lab.swebos import PROMPT, start_screen_problems
from lab.targets import target_id


@scenario("m5", 6, feature="consolidation")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_two_swebs_each_boot_to_their_prompt_on_their_own_console(boot, sweb, target):
    m, shells = boot_swebs(boot, sweb, target, 2)
    for k in (0, 1):
        text = m.guest(k).text()
        assert "Booting..." in text and PROMPT in text, f"guest {k}: {text[-200:]!r}"
    assert not m.guests.demux.errors, m.guests.demux.errors
    shells[0].wait_screen_prompt()  # guest 0 has the focus: the screen is its shell's start
    problems = start_screen_problems(m.screen())
    assert problems == [], "\n".join(problems)


@scenario("m5", 4, feature="consolidation")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_each_of_two_swebs_runs_ls_typed_while_it_has_the_focus(boot, sweb, target):
    m, shells = boot_swebs(boot, sweb, target, 2)
    for k in (1, 0):
        assert shells[k].run("ls") == ["[D] usr", "[D] dev"], f"guest {k}"
        assert m.focused == k
