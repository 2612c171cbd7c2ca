"""Scenario helpers for several guests (CONTRACT.md 10), for the lab's feature scenarios and
a team's own (feature_tests): boot a list of guests and wait until each exists, read the
dedup counters. Each fails fast, naming the contract, when the hypervisor shows it lacks the
feature: a console without guest tags, an `@lab exits` answer without `@lab mem` after it."""
from __future__ import annotations

import re
import time

from .contract import MemCounts, parse_marker, parse_mem, summarize_log
from .errors import StepTimeout
from .guestlist import GuestSpec
from .machine import Machine
from .machine.channel import deadline_left
from .machine.guests import NOT_MULTIPLEXED

CREATE = 30  # seconds (scaled) for every guest's `@lab guest` marker
ANSWER = 3.0  # wall-clock seconds for the answer to '?' (CONTRACT.md 3)
# The answer to '?': one `@lab exits` line per guest (with guest=K when there are several),
# then the `@lab mem` line (CONTRACT.md 3, 10).
MEM_LINE = re.compile(r"@lab exits (?:[^\r\n]*\r?\n@lab exits )*[^\r\n]*\r?\n"
                      r"(?P<next>(?!@lab exits )[^\r\n]*)\r?\n")


class FeatureMissing(AssertionError):
    """The hypervisor showed that it lacks what a scenario checks."""


def boot_guests(boot, target: tuple[str, str], guests: list[GuestSpec],
                memory: int = 128, append: str = "") -> Machine:
    """Boot `guests` under the hypervisor on target (platform, backend), then wait for each
    one's `@lab guest id=K mem=N` marker, with the memory asked for."""
    m = boot(*target, guests=guests, memory=memory, append=append)
    wait_created(m, [g.memory for g in guests])
    return m


def wait_created(m: Machine, mems: list[int], timeout: float = CREATE) -> None:
    deadline = time.monotonic() + m.spec.scaled(timeout)
    while True:
        summary_guests = (m.guests.created if m.guests is not None
                          else set(summarize_log(m.log_text()).guests))
        if summary_guests >= set(range(len(mems))):
            break
        if m.guests is not None and not m.guests.multiplexed:
            raise FeatureMissing(NOT_MULTIPLEXED)
        if m.ended or not m.running:
            raise FeatureMissing(f"the run ended before every guest was created; created: "
                                 f"{sorted(summary_guests)} of {len(mems)} (@lab guest)")
        if deadline_left(deadline) <= 0:
            raise StepTimeout(f"log: '@lab guest' markers for {len(mems)} guests did not all "
                              f"appear within {m.spec.scaled(timeout):.0f} s; created: "
                              f"{sorted(summary_guests)}")
        m.console.expect([re.compile(r"\x00NEVER")], 0.25)  # wakes on console bytes
    seen = summarize_log(m.log_text()).guests
    wrong = [(k, seen[k].mem, mem) for k, mem in enumerate(mems) if seen[k].mem != mem]
    assert not wrong, f"guests with other memory than asked (id, mem=, asked): {wrong}"


def mem_counts(m: Machine) -> MemCounts:
    """Ask with '?' (CONTRACT.md 3) and read the `@lab mem` line right after the `@lab exits`
    lines."""
    m.log.send(b"?")
    if m.log.expect([MEM_LINE], ANSWER) != 0:
        raise FeatureMissing("no '@lab exits' line, then another, within "
                             f"{ANSWER:.0f} s of '?' on COM2: no '@lab mem' answer "
                             "(CONTRACT.md 10, dedup)")
    line = m.log.match.group("next")
    counts = parse_mem(mk) if (mk := parse_marker(line)) is not None else None
    if counts is None:
        raise FeatureMissing(f"after '@lab exits' came {line!r}, not '@lab mem guest-pages=N "
                             "host-pages=N shared=N saved=N zero=N' (CONTRACT.md 10, dedup)")
    problems = counts.problems()
    assert not problems, f"@lab mem contradicts itself: {'; '.join(problems)}"
    return counts


def mem_until(m: Machine, ok, what: str, timeout: float = 60) -> MemCounts:
    """Ask for the counts until `ok(counts)`, at most `timeout` seconds (scaled): the
    hypervisor deduplicates in its own time. One ask per second."""
    deadline = time.monotonic() + m.spec.scaled(timeout)
    while True:
        counts = mem_counts(m)
        if ok(counts):
            return counts
        if deadline_left(deadline) <= 0:
            raise AssertionError(f"{what} did not happen within {m.spec.scaled(timeout):.0f} "
                                 f"s; the last counts: {counts}")
        m.log.expect([re.compile(r"\x00NEVER")], 1.0)  # a pause without a sleep's blindness
