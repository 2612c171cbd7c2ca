"""Features at collection (lab.grading, lab.features): a team's own feature file runs under
m5's and m6's points, beside no other feature's scenarios; the reference runs them all."""
import json
import subprocess
import sys

from kernels import HANG, assemble
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
