"""Helpers for scenarios that run a test guest and read its kvm-unit-tests style report."""
from __future__ import annotations

import re
from dataclasses import dataclass

SUMMARY = re.compile(r"^SUMMARY: (\d+) tests, (\d+) unexpected failures, (\d+) skipped$", re.M)

# Under a hypervisor no test guest check may be skipped: a SKIP means it thought no
# hypervisor was there (a wrong CPUID signature, say).
GUEST_TARGETS = [("bochs", "vmx"), ("qemu-tcg", "svm"), ("bochs", "svm"),
                 ("qemu-kvm", "vmx"), ("qemu-kvm", "svm")]


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
