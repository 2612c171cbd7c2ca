"""Helpers for scenarios that run a test guest and read its kvm-unit-tests style report."""
from __future__ import annotations

import re
from dataclasses import dataclass

from lab.machine.base import STALL_QUIET
from lab.targets import TARGETS

SUMMARY = re.compile(r"^SUMMARY: (\d+) tests, (\d+) unexpected failures, (\d+) skipped$", re.M)

# Under a hypervisor no test guest check may be skipped: a SKIP means it thought no
# hypervisor was there (a wrong CPUID signature, say).
GUEST_TARGETS = TARGETS


@dataclass
class GuestReport:
    passes: list[str]
    failures: list[str]
    skips: list[str]
    summary: tuple[int, int, int] | None


def read_report(console: str) -> GuestReport:
    lines = console.splitlines()
    m = SUMMARY.search(console)
    return GuestReport(
        passes=[ln[6:] for ln in lines if ln.startswith("PASS: ")],
        failures=[ln[6:] for ln in lines if ln.startswith("FAIL: ")],
        skips=[ln[6:] for ln in lines if ln.startswith("SKIP: ")],
        summary=tuple(int(g) for g in m.groups()) if m else None)


def run_guest(boot, target, guest: str, deadline: float, stall: float | None = STALL_QUIET,
              **settings):
    """Boot a test guest on (platform, backend), wait for the end; machine, result, report.
    A machine quiet for `stall` seconds with its CPU stuck has hung (lab.machine.base)."""
    m = boot(*target, guest=guest, **settings)
    r = m.wait_end(deadline, stall=stall)
    return m, r, read_report(m.console_text())


def assert_clean_pass(r, rep: GuestReport) -> None:
    """Every check passed, none skipped, and the run ended with the contract's pass code."""
    from lab.contract import EndCode

    assert rep.summary is not None, f"no SUMMARY line; {r.describe()}"
    assert rep.failures == [], f"FAIL lines: {rep.failures}"
    assert rep.skips == [], f"SKIP lines under a hypervisor: {rep.skips}"
    assert rep.summary[1] == 0 and rep.summary[0] == len(rep.passes) > 0
    assert r.end_code == EndCode.PASS, r.describe()
