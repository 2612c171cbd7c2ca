"""The grading plan (plan.json, written at collection): each milestone's points add up to the
course's for any declared backend, and only cases on a backend's grading platform count."""
import json
import subprocess
import sys
from collections import defaultdict

import pytest

from lab.build import project_root
from lab.features import CATALOGUE
from lab.features import MILESTONES as FEATURE_MILESTONES
from lab.grading import GROUPS, MILESTONES
from lab.platforms import detect
from lab.targets import grading_platform


def plan(tmp_path, *options: str) -> list[dict]:
    subprocess.run([sys.executable, "-m", "pytest", "scenarios", "--collect-only", "-q",
                    "-p", "no:cacheprovider", "--report-dir", str(tmp_path), *options],
                   cwd=project_root(), check=True, stdout=subprocess.DEVNULL)
    return json.loads((tmp_path / "plan.json").read_text())


@pytest.mark.parametrize("backend", ["both", "vmx", "svm"])
def test_each_milestone_adds_up_to_the_courses_points(tmp_path, backend):
    points = defaultdict(float)
    for case in plan(tmp_path, "--backend", backend):
        assert case["counted"], f"{case['nodeid']} counts only with --all-platforms"
        # m5 and m6 add up per feature (the reference runs every one; one counts)
        points[case["milestone"], case["feature"]] += case["points"]
    assert {m: round(p, 9) for m, p in points.items() if m[0] in MILESTONES} == {
        (m, f): p for m, (_, p) in MILESTONES.items()
        for f in (CATALOGUE if m in FEATURE_MILESTONES else [""])}
    # the groups outside the course's points (GROUPS: robustness, conformance) carry none
    assert {m: p for m, p in points.items() if m[0] not in MILESTONES} == {
        (g, ""): 0.0 for g in GROUPS}


@pytest.mark.parametrize("backend", ["vmx", "svm"])
def test_a_team_of_one_backend_is_graded_on_it_alone_on_its_grading_platform(tmp_path,
                                                                              backend):
    where, _ = grading_platform(detect(), backend)
    targets = {tuple(c["target"]) for c in plan(tmp_path, "--backend", backend) if c["target"]}
    assert targets == {(where, backend)}


def test_other_platforms_run_with_all_platforms_for_no_points(tmp_path):
    cases = plan(tmp_path, "--all-platforms")
    extra = [c for c in cases if not c["counted"]]
    assert extra and all(c["points"] == 0 for c in extra)
    assert len(cases) == len(plan(tmp_path / "graded")) + len(extra)
    graded = {(grading_platform(detect(), b)[0], b) for b in ("vmx", "svm")}
    assert all(tuple(c["target"]) not in graded for c in extra)
    # only where the platform can change the outcome: m1 to m4 and conformance
    assert {c["milestone"] for c in extra} == {"m1", "m2", "m3", "m4", "conformance"}
