"""Points next to the tests (gradelib's `@test(points, title)`), outcomes and the grade table.

A scenario is marked `@scenario("m2", 3)`; parametrized cases share its points equally. Each
case gets one outcome: passed, failed, skipped (the environment lacks something, named),
not-gradable (the platform cannot run it), infra-error (emulator or build broke) or timeout.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import pytest

from .errors import BuildError, InfraError, StepTimeout

MILESTONES = {
    "m1": ("Structure setup: builds, boots, enables VMX/SVM", 5),
    "m2": ("Executing guest code + video output", 15),
    "m3": ("Interrupts + emulated PIC", 5),
    "m4": ("Guest OS boots to its shell + virtualized disk", 35),
    "m5": ("Feature proof of concept in the booted guest", 10),
    "m6": ("Feature done, demonstrated in the booted guest", 30),
}
NOT_GRADABLE = "not gradable here: "
OUTCOMES = ("passed", "failed", "timeout", "infra-error", "skipped", "not-gradable")


def scenario(milestone: str, points: float, title: str | None = None):
    """Mark a test as a graded scenario of `milestone` worth `points`."""
    if milestone not in MILESTONES:
        raise ValueError(f"unknown milestone {milestone}")

    def mark(fn):
        fn = pytest.mark.grade(milestone=milestone, points=points, title=title)(fn)
        return getattr(pytest.mark, milestone)(fn)
    return mark


def not_gradable(why: str) -> None:
    pytest.skip(NOT_GRADABLE + why)


@dataclass
class Outcome:
    nodeid: str
    milestone: str
    title: str
    points: float
    outcome: str = "not-run"
    earned: float = 0.0
    message: str = ""
    platform: str = ""
    backend: str = ""
    bundle: str = ""
    seconds: float = 0.0
    reproduce: str = ""
    extra: dict = field(default_factory=dict)


def classify(report: pytest.TestReport, call_excinfo) -> tuple[str, str]:
    """The outcome word and a one-line message for a finished phase."""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith(NOT_GRADABLE):
            return "not-gradable", reason[len(NOT_GRADABLE):]
        return "skipped", reason
    if report.passed:
        return "passed", ""
    exc = call_excinfo.value if call_excinfo is not None else None
    text = str(exc).strip() if exc is not None else ""
    msg = text.splitlines()[0] if text else (report.longreprtext.strip().splitlines() or
                                             ["failed"])[-1]
    if isinstance(exc, StepTimeout):
        return "timeout", msg
    if isinstance(exc, (InfraError, BuildError)):
        return "infra-error", msg
    return "failed", msg


class Grader:
    """A pytest plugin: grades each case where it runs, tallies where reports arrive.

    With pytest-xdist the cases run in workers and the reports reach the controller, so all
    the grading facts travel in the report's user_properties.
    """

    def __init__(self) -> None:
        self.results: dict[str, Outcome] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items) -> None:
        groups: dict[tuple, list] = defaultdict(list)
        for item in items:
            if item.get_closest_marker("grade"):
                key = (item.module.__name__ if item.module else "", item.originalname)
                groups[key].append(item)
        for group in groups.values():
            for item in group:
                mk = item.get_closest_marker("grade")
                title = mk.kwargs.get("title") or item.originalname.removeprefix("test_")
                item.lab_grade = {"milestone": mk.kwargs["milestone"],
                                  "points": mk.kwargs["points"] / len(group),
                                  "title": title.replace("_", " ")}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        rep = (yield).get_result()
        setattr(item, f"rep_{rep.when}", rep)
        grade = getattr(item, "lab_grade", None)
        if grade is None:
            return
        decisive = (rep.when == "call" or (rep.when == "setup" and not rep.passed)
                    or (rep.when == "teardown" and not rep.passed))
        outcome, message = classify(rep, call.excinfo) if decisive else ("", "")
        rep.user_properties.append(("lab_grade", dict(grade, outcome=outcome, message=message,
                                                      decisive=decisive)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        grade = props.get("lab_grade")
        if grade is None:
            return
        res = self.results.get(report.nodeid)
        if res is None:
            res = self.results[report.nodeid] = Outcome(
                report.nodeid, grade["milestone"], grade["title"], grade["points"])
        res.seconds += report.duration
        for key in ("platform", "backend", "bundle", "reproduce"):
            if key in props:
                setattr(res, key, props[key])
        if not grade["decisive"]:
            return
        if report.when == "teardown" and res.outcome not in ("passed", "not-run"):
            return  # a teardown error does not hide the call's own failure
        res.outcome, res.message = grade["outcome"], grade["message"]
        res.earned = res.points if res.outcome == "passed" else 0.0
    def table(self) -> list[str]:
        lines = [f"{'milestone':<44} {'earned':>7} {'possible':>8}  outcomes"]
        total = [0.0, 0.0]
        for mid, (name, _) in MILESTONES.items():
            rows = [r for r in self.results.values() if r.milestone == mid]
            if not rows:
                continue
            gradable = [r for r in rows if r.outcome != "not-gradable"]
            earned = sum(r.earned for r in rows)
            possible = sum(r.points for r in gradable)
            counts = defaultdict(int)
            for r in rows:
                counts[r.outcome] += 1
            outcomes = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o])
            lines.append(f"{mid} {name[:40]:<41} {earned:7.2f} {possible:8.2f}  {outcomes}")
            total[0] += earned
            total[1] += possible
        lines.append(f"{'total':<44} {total[0]:7.2f} {total[1]:8.2f}")
        skipped = [r for r in self.results.values() if r.outcome == "skipped"]
        if skipped:
            reasons = sorted({r.message for r in skipped})
            lines.append(f"INCOMPLETE: {len(skipped)} scenarios skipped, so this total is not "
                         f"the grade; {'; '.join(reasons)[:300]}")
        return lines

    def as_json(self) -> dict:
        return {"milestones": {m: {"title": t, "points": p} for m, (t, p) in MILESTONES.items()},
                "scenarios": [asdict(r) for r in self.results.values()]}
