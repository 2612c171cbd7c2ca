"""Milestone 6, feature dedup (CONTRACT.md 10), complete: copy on write keeps a guest's write
to itself; zero pages are shared; the shared counts fall once the guests diverge; four
SWEBs from one kernel take at most 1.5x the host pages of one.

The write, zero and divergence checks need pages whose contents the lab knows, which SWEB
does not offer: they boot the pages test guest (images/tests/pages.c: 256 pages of one
pattern and 256 zeroed pages, commands on COM1).
"""
import pytest

from features_common import BOOT, GUEST_TARGETS, PAGES_PER_SWEB, SWEB_TARGETS, boot_swebs, swebs
from lab.grading import scenario
from lab.guestlist import GuestSpec
from lab.several import boot_guests, mem_until
from lab.targets import target_id

FILLED = ZEROED = 256  # pages.c


def _pages(boot, target, count: int = 2):
    m = boot_guests(boot, target, [GuestSpec(guest="pages", args=f"id={k}", mem=16)
                                   for k in range(count)], append="dedup")
    for k in range(count):
        m.wait_for("pages: ready", BOOT, channel=f"guest{k}")
    return m


def _command(m, k: int, letter: str, answer: str) -> str:
    m.focus(k)
    m.send(letter)
    return m.wait_for(answer, BOOT, channel=f"guest{k}")


@scenario("m6", 6, feature="dedup")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_a_write_to_a_shared_page_is_not_seen_by_the_other_guest(boot, target):
    m = _pages(boot, target)
    mem_until(m, lambda c: c.shared >= FILLED, "the two guests' identical pages shared")
    _command(m, 0, "w", "pages: written")
    assert _command(m, 1, "c", r"pages: (intact|changed at page \d+)") == "pages: intact"
    assert _command(m, 0, "c", r"pages: (intact|changed at page \d+)") != "pages: intact"


@scenario("m6", 5, feature="dedup")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_zero_pages_are_shared(boot, target):
    m = _pages(boot, target)
    mem_until(m, lambda c: c.zero >= 2 * ZEROED, "the pages the guests zeroed mapped to the "
                                                  "zero page")


@scenario("m6", 5, feature="dedup")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_the_shared_counts_fall_after_the_guests_diverge(boot, target):
    m = _pages(boot, target)
    # settled: a whole scan left the counts as they were (the zero pages of RAM merge too)
    last = []

    def settled(c) -> bool:
        done = c.shared >= FILLED and last[-1:] == [c]
        last.append(c)
        return done
    before = mem_until(m, settled, "the identical pages shared, and the counts settled")
    for k in (0, 1):
        _command(m, k, "w", "pages: written")  # each its own pattern now
    mem_until(m, lambda c: c.shared <= before.shared - FILLED // 2
              and c.saved <= before.saved - FILLED // 2,
              f"shared and saved falling by {FILLED // 2} from {before}")


@scenario("m6", 10, feature="dedup")
@pytest.mark.parametrize("target", SWEB_TARGETS, ids=target_id)
def test_four_swebs_from_one_kernel_take_at_most_1_5x_the_host_pages_of_one(boot, sweb,
                                                                           target):
    one = boot(*target, guests=swebs(sweb, 1), append="dedup")  # one guest: a plain run
    one.wait_for("SWEB: /> ", BOOT)
    single = mem_until(one, lambda c: c.guest_pages == PAGES_PER_SWEB, "one SWEB's counts")
    one.power_off()
    m, shells = boot_swebs(boot, sweb, target, 4, append="dedup")
    four = mem_until(m, lambda c: c.host_pages <= 1.5 * single.host_pages,
                     f"four SWEBs within 1.5x of one's {single.host_pages} host pages")
    # the counters against what the guests were given (their `@lab guest mem=` too)
    assert four.guest_pages == 4 * PAGES_PER_SWEB, four
    for shell in shells:  # and every one still works with its memory shared
        assert shell.run("ls") == ["[D] usr", "[D] dev"]


@scenario("m6", 4, feature="dedup")
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_an_int_whose_delivery_writes_a_shared_page_runs_its_handler_once(boot, target):
    """images/tests/softint.c: INT n with the stack on a page shared as the zero page; the
    frame's push takes the copy-on-write fault mid-delivery. The handler must run once per
    INT (seen: twice, when the interrupted INT was injected again, and a SWEB's system call
    ran twice)."""
    m = boot_guests(boot, target, [GuestSpec(guest="softint", mem=4),
                                   GuestSpec(guest="softint", mem=4)], append="dedup")
    m.wait_for("softint: zeroed", BOOT, channel="guest0")
    last = []

    def settled(c) -> bool:
        done = c.zero >= 2 * 16 and last[-1:] == [c]
        last.append(c)
        return done
    mem_until(m, settled, "the zeroed stack pages mapped to the zero page")
    m.focus(0)
    m.send("g")
    line = m.wait_for(r"softint: \d+ runs for 16 INTs", BOOT, channel="guest0")
    assert line == "softint: 16 runs for 16 INTs", line
