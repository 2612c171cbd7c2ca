"""Features at collection (lab.grading, lab.features): a team's own feature file runs under
m5's and m6's points, beside no other feature's scenarios; the reference runs them all."""
import json
import os
import re
import subprocess
import sys

from kernels import HANG, assemble, emulators_under
from lab.build import project_root

TEAM_FILE = '''
import pytest
from lab.grading import scenario

@scenario("m5", 1, feature="snapshots")
def test_small():
    pass

@scenario("m5", 3, feature="snapshots")
def test_large():
    pass

@scenario("m6", 7, feature="snapshots")
@pytest.mark.parametrize("n", [1, 2])
def test_both(n):
    pass
'''


def collect(tmp_path, *options):
    done = subprocess.run([sys.executable, "-m", "pytest", "scenarios", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "--report-dir", str(tmp_path), *options],
                          cwd=project_root(), capture_output=True, text=True)
    plan = tmp_path / "plan.json"
    return done, json.loads(plan.read_text()) if plan.is_file() else []


def test_a_team_written_feature_is_weighted_to_the_milestones_points_and_alone(tmp_path):
    hv = assemble(HANG, tmp_path / "hv.elf")
    team_file = tmp_path / "snap.py"
    team_file.write_text(TEAM_FILE)
    done, plan = collect(tmp_path, f"--hypervisor={hv}", "--feature=snapshots",
                         f"--feature-tests={team_file}", str(team_file),
                         f"--rootdir={project_root()}")
    assert done.returncode == 0, done.stdout + done.stderr
    features = {c["feature"] for c in plan if c["feature"]}
    assert features == {"snapshots"}  # consolidation and dedup are not chosen: not run
    points = {c["nodeid"].split("::")[1]: c["points"] for c in plan if c["feature"]}
    assert points == {"test_small": 2.5, "test_large": 7.5, "test_both[1]": 15.0,
                      "test_both[2]": 15.0}
    assert all(c["team_written"] for c in plan if c["feature"])


def test_a_team_file_scenario_of_another_milestone_is_refused(tmp_path):
    hv = assemble(HANG, tmp_path / "hv.elf")
    team_file = tmp_path / "snap.py"
    team_file.write_text(TEAM_FILE + '''
@scenario("m2", 5)
def test_free_points():
    pass
''')
    done, _ = collect(tmp_path, f"--hypervisor={hv}", "--feature=snapshots",
                      f"--feature-tests={team_file}", str(team_file),
                      f"--rootdir={project_root()}")
    assert done.returncode != 0
    assert ("test_free_points is a m2 scenario of feature None; a team's feature file holds "
            "m5 and m6 scenarios of its feature ('snapshots') alone") in done.stdout + done.stderr


def test_an_unknown_feature_without_a_file_is_a_usage_error(tmp_path):
    done, _ = collect(tmp_path, "--feature=snapshots")
    assert done.returncode == 4
    assert "unknown feature 'snapshots'" in done.stderr


E2E_TEAM_FILE = '''
import pytest
from lab.grading import scenario
from lab.guestlist import GuestSpec
from lab.several import boot_guests
from lab.targets import target_id

TCG = [("qemu-tcg", "svm")]


@scenario("m5", 3, feature="pingpong")
@pytest.mark.parametrize("target", TCG, ids=target_id)
def test_two_guests_each_say_hello(boot, target):
    m = boot_guests(boot, target, [GuestSpec(guest="hello"), GuestSpec(guest="hello")])
    for k in (0, 1):
        m.wait_for("hello from the test guest", 30, channel=f"guest{k}")


@scenario("m5", 1, feature="pingpong")
@pytest.mark.parametrize("target", TCG, ids=target_id)
def test_the_pingpong_marker(boot, target):
    m = boot_guests(boot, target, [GuestSpec(guest="hello")] * 2, append="pingpong")
    m.wait_for("@lab pingpong", 5, channel="log")
'''


def test_lab_grade_runs_a_team_written_feature_with_the_labs_fixtures(tmp_path, lab_outputs):
    """End to end: a team folder naming its own feature and scenario file, graded by
    `lab grade`; the file boots guests with the lab's fixtures. The reference hypervisor
    has no "pingpong": one scenario passes (3 of 4 weights), the other fails."""
    team = tmp_path / "team"
    team.mkdir()
    (team / "pingpong.py").write_text(E2E_TEAM_FILE)
    (team / "lab-team.yaml").write_text(
        f"build: cp {lab_outputs.hypervisor} hv.elf\nhypervisor: hv.elf\nbackend: svm\n"
        "feature: pingpong\nfeature_tests: pingpong.py\n")
    env = dict(os.environ, LAB_RUNS_DIR=str(tmp_path / "runs"))
    done = subprocess.run([sys.executable, "-m", "lab.cli", "grade", "--hypervisor", str(team),
                           "-m", "m5", "--report-dir", str(tmp_path / "reports")],
                          cwd=project_root(), env=env, capture_output=True, text=True,
                          timeout=600)
    try:
        assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
        report = json.loads((tmp_path / "reports" / "grade.json").read_text())
        outcomes = {s["nodeid"].split("::")[1]: (s["outcome"], s["earned"])
                    for s in report["scenarios"]}
        assert outcomes == {"test_two_guests_each_say_hello[qemu-tcg-svm]": ("passed", 7.5),
                            "test_the_pingpong_marker[qemu-tcg-svm]": ("failed", 0.0)}
        assert report["features"]["pingpong"]["team_written"] is True
        assert re.search(r"^  pingpong\s+m5 7\.50/10\.00 1 passed, 1 failed.*team-written",
                         done.stdout, re.M), done.stdout
    finally:
        assert emulators_under(tmp_path) == []
