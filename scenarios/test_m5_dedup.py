"""Milestone 5, feature dedup (CONTRACT.md 10): a proof of concept, two identical SWEBs end up
sharing pages (the `@lab mem` counters), and both still run programs correctly."""
import pytest

from features_common import (
    MULT_EXIT,
    PAGES_PER_SWEB,
    PROGRAM,
    SWEB_TARGETS,
    boot_swebs,
)
from lab.grading import scenario
from lab.several import mem_until
from lab.targets import target_id


def _sharing_swebs(boot, sweb, target):
    m, shells = boot_swebs(boot, sweb, target, 2, append="dedup")
    counts = mem_until(m, lambda c: c.shared > 0 and c.saved > 0,
                       "two identical SWEBs sharing pages")
    assert counts.guest_pages == 2 * PAGES_PER_SWEB, counts
    return m, shells, counts


@scenario("m5", 6, feature="dedup")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_two_identical_swebs_end_up_sharing_pages(boot, sweb, target):
    _, _, counts = _sharing_swebs(boot, sweb, target)
    assert counts.host_pages < counts.guest_pages


@scenario("m5", 4, feature="dedup")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_two_sharing_swebs_both_still_run_a_program(boot, sweb, target):
    m, shells, _ = _sharing_swebs(boot, sweb, target)
    for k, shell in enumerate(shells):
        assert MULT_EXIT not in m.guest(k).text()
        shell.run("mult.sweb", deadline=PROGRAM)
        assert MULT_EXIT in m.guest(k).text(), f"guest {k}"
