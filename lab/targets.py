"""Where a scenario runs, and which of those runs count for points.

A scenario is parametrized over targets (platform, backend). A team is graded on the
backend(s) it declares (`backend:` in lab-team.yaml; the reference builds both), each on one
grading platform: the first this host runs it on, in the order qemu-kvm, qemu-tcg, bochs (the
fastest first). The platform changes how long grading takes, never the points: a scenario's
points are split equally between the declared backends, and within a backend between its
cases on the grading platform. Its cases on other platforms are extra: left out of a grade,
never counted, and run with --all-platforms (the lab's own CI) where the platform can change
the outcome: m1 to m4 and conformance, not m5, m6 and robustness
(lab.grading.SAME_ON_EVERY_PLATFORM).
"""
from __future__ import annotations

from .platforms import BACKENDS, Platform

# Every place a backend can run, in the order a test run shows them.
TARGETS = [("bochs", "vmx"), ("qemu-tcg", "svm"), ("bochs", "svm"),
           ("qemu-kvm", "vmx"), ("qemu-kvm", "svm")]
DECLARED = {"vmx": ("vmx",), "svm": ("svm",), "both": BACKENDS}


def target_id(t: tuple) -> str:
    return f"{t[0]}-{t[1]}"


def grading_platform(platforms: list[Platform], backend: str) -> tuple[str | None, str]:
    """The platform a backend's points are earned on here, and why. A platform lacking only
    software this machine could install still grades (its cases say what to install); with
    none at all the answer is None: this machine cannot grade that backend."""
    for usable in (lambda s: s.ok, lambda s: s.installable):
        for p in platforms:
            if usable(p.backends[backend]):
                return p.name, p.backends[backend].why
    why = "; ".join(f"{p.name}: {p.backends[backend].why}" for p in platforms)
    return None, why


def case_target(item) -> tuple[str, str] | None:
    """The (platform, backend) a collected case runs on, None for a backend-neutral one."""
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec else None
    return (target[0], target[1]) if target else None
