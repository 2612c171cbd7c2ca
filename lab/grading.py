"""Points next to the tests (gradelib's `@test(points, title)`), outcomes and the grade table.

A scenario is marked `@scenario("m2", 3)`; parametrized cases share its points equally. Each
case gets one outcome: passed, failed, skipped (the environment lacks something, named),
not-gradable (the platform cannot run it), infra-error (emulator or build broke), timeout,
or hung (the machine stalled: lab.machine.base.STALL_QUIET).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from . import features
from .errors import BuildError, InfraError, MachineHung, StepTimeout
from .features import Choice
from .targets import DECLARED, case_target, grading_platform

MILESTONES = {
    "m1": ("Structure setup: builds, boots, enables VMX/SVM", 5),
    "m2": ("Executing guest code + video output", 15),
    "m3": ("Interrupts + emulated PIC", 5),
    "m4": ("Guest OS boots to its shell + virtualized disk", 35),
    "m5": ("Feature proof of concept in the booted guest", 10),
    "m6": ("Feature done, demonstrated in the booted guest", 30),
}
# Scenario groups outside the course's 100 points: shown for every graded hypervisor, never
# in the total (a course could give them points in its course file one day).
GROUPS = {
    "robustness": "A guest cannot crash or hang the hypervisor",
    "conformance": "The CPU a guest is told of behaves as hardware (kvm-unit-tests, APIC)",
}
NOT_GRADABLE = "not gradable here: "
# Groups whose checks exercise the hypervisor's own code, not the emulator under it: on a
# platform that does not grade the backend, --all-platforms leaves them out (issue 14: run on
# every target only what differs per target; bochs/svm costs the suite 100 s with them).
SAME_ON_EVERY_PLATFORM = ("m5", "m6", "robustness")
PREREQUISITE_FAILED = "prerequisite failed"  # a failure that follows from another
# The reason of a strict xfail for what the reference does not do yet: a failure as expected,
# not a flaky case.
NOT_YET = "not yet: "
# ...and for a check that fails on the emulator's own CPU, with or without a hypervisor.
EMULATOR_FAILS = "fails on the emulator's own CPU: "
OUTCOMES = ("passed", "failed", "hung", "timeout", "infra-error", "skipped", "not-gradable")


def outcome_counts(outcomes: Iterable[str]) -> str:
    """'3 passed, 1 hung': how many of each outcome, in OUTCOMES' order."""
    counts = Counter(outcomes)
    return ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o])


def scenario(milestone: str, points: float, title: str | None = None,
             feature: str | None = None):
    """Mark a test as a graded scenario of `milestone` worth `points`, or of a group outside
    the course's points (GROUPS, 0 points). A scenario of m5 or m6 names its feature
    (lab.features): only the team's chosen feature counts."""
    if milestone not in MILESTONES and milestone not in GROUPS:
        raise ValueError(f"unknown milestone {milestone}")
    if milestone in GROUPS and points:
        raise ValueError(f"{milestone} scenarios count no points")
    if (milestone in features.MILESTONES) != (feature is not None):
        raise ValueError(f"an {'/'.join(features.MILESTONES)} scenario, and only one, names "
                         f"its feature (a {milestone} scenario with feature={feature!r})")
    if feature is not None:
        features.check_name(feature, "scenario")

    def mark(fn):
        fn = pytest.mark.grade(milestone=milestone, points=points, title=title,
                               feature=feature)(fn)
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
    counted: bool = True  # False: a case on a platform other than its backend's grading one
    feature: str = ""  # m5 and m6: the feature it belongs to (lab.features)
    team_written: bool = False  # from the team's own feature_tests file
    extra: dict = field(default_factory=dict)


def classify(report: pytest.TestReport, call_excinfo) -> tuple[str, str]:
    """The outcome word and a one-line message for a finished phase."""
    if report.skipped and hasattr(report, "wasxfail"):  # failed, as expected: no points
        if (report.wasxfail in features.REFERENCE_LACKS.values() or
                report.wasxfail.startswith((NOT_YET, EMULATOR_FAILS))):
            return "failed", f"failed, as expected ({report.wasxfail})"
        return "failed", f"failed, a known flaky case ({report.wasxfail})"
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
    if msg.startswith(PREREQUISITE_FAILED):  # conftest's boot fixture: it names why
        return "failed", msg
    if isinstance(exc, MachineHung) or "the machine hung without an end line" in msg:
        return "hung", msg  # MachineHung from wait_for; a hung RunResult in an assertion
    if isinstance(exc, StepTimeout):
        return "timeout", msg
    if isinstance(exc, (InfraError, BuildError)):
        return "infra-error", msg
    return "failed", msg


class Grader:
    """A pytest plugin: grades each case where it runs, tallies where reports arrive.

    With pytest-xdist the cases run in workers and the reports reach the controller, so all
    the grading facts travel in the report's user_properties. Which cases count, and for how
    many points, is lab.targets' rule: `backends` are the team's, `platforms` this host's.
    """

    def __init__(self, backends: str = "both", platforms: list | None = None,
                 all_platforms: bool = False, feature: Choice | None = None,
                 all_features: bool = False, reference: bool = False) -> None:
        self.results: dict[str, Outcome] = {}
        self.backends = DECLARED[backends]
        self.platforms = platforms
        self.all_platforms = all_platforms
        self.grading: dict[str, tuple[str | None, str]] = {}  # backend -> platform, why
        self.milestones_with_scenarios: set[str] = set()
        self.feature = feature or Choice()  # the feature the total counts
        self.all_features = all_features  # run the other features too (not counted)
        self.reference = reference  # the reference hypervisor: REFERENCE_LACKS applies
        self.features_seen: dict[str, str] = {}  # name -> "catalogue" or "team-written"
        self.not_chosen: set[str] = set()  # features whose scenarios were left out

    def in_total(self, r: Outcome) -> bool:
        """Does the case count in the total: on its grading platform, and of no feature or
        of the chosen one."""
        return r.counted and (not r.feature or r.feature == self.feature.name)

    def grading_platforms(self) -> dict[str, tuple[str | None, str]]:
        if not self.grading:
            from .platforms import detect
            platforms = self.platforms if self.platforms is not None else detect()
            self.grading = {b: grading_platform(platforms, b) for b in self.backends}
        return self.grading

    # First, so that the points come from the whole scenario, before -m or -k select cases.
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config, items) -> None:
        keep, drop = [], []
        weights = self._team_weights(items)
        for item in items:
            mk = item.get_closest_marker("grade")
            if mk is None:
                keep.append(item)
                continue
            feature = mk.kwargs.get("feature") or ""
            team_written = self._team_written(item)
            if feature:
                self.features_seen[feature] = "team-written" if team_written else "catalogue"
            if feature and feature != self.feature.name and not self.all_features:
                self.not_chosen.add(feature)  # not run at all: grading stays fast
                drop.append(item)
                continue
            if not feature or feature == self.feature.name:
                self.milestones_with_scenarios.add(mk.kwargs["milestone"])
            base = mk.kwargs["points"]
            if team_written:  # weights, scaled to the milestone's points
                base *= MILESTONES[mk.kwargs["milestone"]][1] / weights[mk.kwargs["milestone"]]
            points, counted = self._share(item, base)
            if points is None or (not counted and (
                    not self.all_platforms
                    or mk.kwargs["milestone"] in SAME_ON_EVERY_PLATFORM)):
                drop.append(item)
                continue
            if self.reference and feature in features.REFERENCE_LACKS:
                item.add_marker(pytest.mark.xfail(
                    strict=True, reason=features.REFERENCE_LACKS[feature]))
            title = mk.kwargs.get("title") or item.originalname.removeprefix("test_")
            item.lab_grade = {"milestone": mk.kwargs["milestone"], "points": points,
                              "counted": counted, "target": case_target(item),
                              "title": title.replace("_", " "), "feature": feature,
                              "team_written": team_written}
            keep.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def _team_written(self, item) -> bool:
        return self.feature.tests is not None and Path(item.path) == self.feature.tests

    def _team_weights(self, items) -> dict[str, float]:
        """The points a team-written file gives each milestone, summed over its scenarios
        (not their cases): its points are weights of m5's and m6's own. A scenario there
        of another milestone or feature is refused: a team grades its feature, nothing else."""
        weights: dict[str, float] = {}
        seen = set()
        for item in items:
            mk = item.get_closest_marker("grade")
            if mk is None or not self._team_written(item):
                continue
            milestone, feature = mk.kwargs["milestone"], mk.kwargs.get("feature")
            if milestone not in features.MILESTONES or feature != self.feature.name:
                raise pytest.UsageError(
                    f"{self.feature.tests}: {item.originalname} is a {milestone} scenario of "
                    f"feature {feature!r}; a team's feature file holds m5 and m6 scenarios "
                    f"of its feature ({self.feature.name!r}) alone")
            if item.originalname not in seen:
                seen.add(item.originalname)
                weights[milestone] = weights.get(milestone, 0.0) + mk.kwargs["points"]
        for milestone, weight in weights.items():
            if weight <= 0:
                raise pytest.UsageError(f"{self.feature.tests}: the {milestone} scenarios "
                                        "carry no points")
        return weights

    def _share(self, item, points: float) -> tuple[float | None, bool]:
        """A case's points and whether it counts; None points: a backend the team lacks.
        The split comes from the scenario's parametrization, not from what was collected,
        so a run of one case grades it as in a run of all."""
        targets, others = [], 1
        for mark in item.iter_markers("parametrize"):
            names = mark.args[0]
            if names == "target":
                targets = [(t[0], t[1]) for t in mark.args[1]]
            else:
                others *= len(mark.args[1])
        target = case_target(item)
        if target is None:
            return points / others, True
        platform, backend = target
        if backend not in self.backends:
            return None, False
        backends = [b for b in self.backends if any(t[1] == b for t in targets)]
        graded_on = self.grading_platforms()[backend][0]
        if graded_on is None:  # nowhere here: the backend's first target, to say so
            graded_on = next(t[0] for t in targets if t[1] == backend)
        graded = [t for t in targets if t == (graded_on, backend)]
        if target not in graded:
            return 0.0, False
        return points / len(backends) / len(graded) / others, True

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
                report.nodeid, grade["milestone"], grade["title"], grade["points"],
                counted=grade["counted"], feature=grade.get("feature", ""),
                team_written=grade.get("team_written", False))
        if grade.get("feature"):  # with xdist the controller collects nothing: seen here
            self.features_seen.setdefault(
                grade["feature"], "team-written" if grade.get("team_written") else "catalogue")
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

    def totals(self) -> dict[str, dict]:
        """Per milestone: earned, the course's possible points, and its state: graded, not
        run (selected out of this run by -m or -k) or no scenarios in this run (a milestone
        with none, or a team-written feature without one; 0 earned of its possible points).
        m5 and m6 count the chosen feature alone."""
        out = {}
        for mid, (_, points) in MILESTONES.items():
            rows = [r for r in self.results.values() if r.milestone == mid and self.in_total(r)]
            state = ("graded" if rows else "not run" if mid in self.milestones_with_scenarios
                     else "no scenarios in this run")
            out[mid] = {"earned": round(sum(r.earned for r in rows), 4), "possible": points,
                        "state": state}
        return out

    def feature_table(self) -> dict[str, dict]:
        """Every feature seen, with its state (counted: the chosen one; not counted: run
        beside it, as for the reference; not chosen: left out, not run) and, where it ran,
        earned and possible points and outcomes per milestone (m5, m6)."""
        out = {}
        seen = dict(self.features_seen)
        if self.features_seen and not self.all_features:  # the catalogue's others: not run
            for name in features.CATALOGUE:
                seen.setdefault(name, "catalogue")
        for name in sorted(seen, key=lambda n: (n != self.feature.name, n)):
            state = ("not chosen" if name in self.not_chosen or (
                name != self.feature.name and not self.all_features) else
                     "counted" if name == self.feature.name else "not counted")
            row: dict = {"state": state, "team_written": seen[name] == "team-written",
                         "milestones": {}}
            if state != "not chosen":
                for mid in features.MILESTONES:
                    rows = [r for r in self.results.values()
                            if r.milestone == mid and r.feature == name and r.counted]
                    row["milestones"][mid] = {
                        "earned": round(sum(r.earned for r in rows), 4),
                        "possible": MILESTONES[mid][1],
                        "outcomes": outcome_counts(r.outcome for r in rows) or "not run"}
            out[name] = row
        return out

    def feature_lines(self) -> list[str]:
        table = self.feature_table()
        if not table:
            return []
        lines = [f"features (m5 + m6; the total counts {self.feature.name}):"]
        for name, row in table.items():
            state = row["state"] + (", team-written: for the staff to review"
                                    if row["team_written"] else "")
            if row["state"] == "not chosen":
                lines.append(f"  {name:<16} not chosen, not run")
                continue
            cells = "; ".join(f"{mid} {m['earned']:.2f}/{m['possible']:.2f} {m['outcomes']}"
                              for mid, m in row["milestones"].items())
            lines.append(f"  {name:<16} {cells} ({state})")
        if self.feature.tests is not None:
            lines.append(f"  {self.feature.name} scenarios: {self.feature.tests}")
        return lines

    def graded_where(self) -> str:
        """'vmx on bochs, svm on qemu-tcg': each declared backend's grading platform."""
        return ", ".join(f"{b} on {p or 'nothing here'}"
                         for b, (p, _) in self.grading_platforms().items())

    def table(self) -> list[str]:
        lines = [f"graded: {self.graded_where()}",
                 f"{'milestone':<44} {'earned':>7} {'possible':>8}  outcomes"]
        total = [0.0, 0.0]
        totals = self.totals()
        for mid, (name, _) in MILESTONES.items():
            t = totals[mid]
            outcomes = outcome_counts(r.outcome for r in self.results.values()
                                      if r.milestone == mid and self.in_total(r))
            if t["state"] == "not run":
                continue
            if outcomes and mid in features.MILESTONES:
                outcomes = f"{self.feature.name}: {outcomes}"
            lines.append(f"{mid} {name[:40]:<41} {t['earned']:7.2f} {t['possible']:8.2f}  "
                         f"{outcomes or t['state']}")
            total[0] += t["earned"]
            total[1] += t["possible"]
        lines.append(f"{'total':<44} {total[0]:7.2f} {total[1]:8.2f}")
        skipped_out = [m for m, t in totals.items() if t["state"] == "not run"]
        if skipped_out:
            lines.append(f"PARTIAL: {', '.join(skipped_out)} not run, so not in this total")
        lines += self.feature_lines()
        for gid, name in GROUPS.items():
            outcomes = outcome_counts(r.outcome for r in self.results.values()
                                      if r.milestone == gid and r.counted)
            if outcomes:
                lines.append(f"{gid} ({name}, no points): {outcomes}")
        extra = outcome_counts(r.outcome for r in self.results.values() if not r.counted
                               and r.feature in ("", self.feature.name))
        if extra:
            lines.append(f"also run on other platforms, not counted: {extra}")
        lines += self.not_a_grade()
        return lines

    def time_lines(self, slowest: int = 5) -> list[str]:
        """Where the run's time went: the scenarios' seconds per milestone and group (summed
        over workers: with -n 2 the wall clock is about half), and the slowest scenarios."""
        ran = [r for r in self.results.values() if r.seconds > 0]
        if not ran:
            return []
        per: dict[str, float] = {}
        for r in ran:
            per[r.milestone] = per.get(r.milestone, 0.0) + r.seconds
        order = [g for g in (*MILESTONES, *GROUPS) if g in per] + sorted(
            g for g in per if g not in MILESTONES and g not in GROUPS)
        lines = [f"time (scenario seconds, all workers): {sum(per.values()):.0f} s; " +
                 ", ".join(f"{g} {per[g]:.0f} s" for g in order)]
        lines += [f"  slow: {r.seconds:6.1f} s  {r.nodeid}"
                  for r in sorted(ran, key=lambda r: -r.seconds)[:slowest]]
        return lines

    def not_a_grade(self) -> list[str]:
        """Why the total is not the team's grade, if it is not: a counted case skipped (this
        machine lacks software), or one this machine cannot run at all. A group's skipped
        case (no points: conformance without --kvm-unit-tests, say) changes no total."""
        lines = []
        counted = [r for r in self.results.values()
                   if self.in_total(r) and r.milestone in MILESTONES]
        skipped = [r for r in counted if r.outcome == "skipped"]
        if skipped:
            reasons = sorted({r.message for r in skipped})
            lines.append(f"INCOMPLETE: {len(skipped)} scenarios skipped, so this total is not "
                         f"the grade; {'; '.join(reasons)[:300]}")
        for b, (p, why) in self.grading_platforms().items():
            if p is None:
                lines.append(f"NOT A GRADE: no platform here can run {b} ({why[:200]}); "
                             "grade on a machine that can")
        unreachable = [r for r in counted if r.outcome == "not-gradable"]
        if unreachable:
            reasons = sorted({r.message for r in unreachable})
            lines.append(f"NOT A GRADE: {len(unreachable)} scenarios cannot run here; "
                         f"{'; '.join(reasons)[:300]}")
        return lines

    def as_json(self) -> dict:
        return {"milestones": {m: {"title": t, "points": p} for m, (t, p) in MILESTONES.items()},
                "groups": GROUPS,
                "backends": list(self.backends),
                "grading_platforms": {b: p for b, (p, _) in self.grading_platforms().items()},
                "totals": self.totals(), "not_a_grade": self.not_a_grade(),
                "feature": self.feature.name,
                "feature_tests": str(self.feature.tests) if self.feature.tests else None,
                "features": self.feature_table(),
                # `counted`: in the total (a case of an unchosen feature is not)
                "scenarios": [dict(asdict(r), counted=self.in_total(r))
                              for r in self.results.values()]}
