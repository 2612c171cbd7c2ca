"""`lab class` on team repositories made here, with commits dated around the deadline.

The end-to-end test grades m1 of three teams (emulators, about a minute); the GitLab test
runs the CI template under gitlab-ci-local, installed from npm into build/tools once.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
import yaml

from gitrepos import commit
from kernels import HEADER, assemble, emulators_under, kill_emulators_under
from lab.build import build_dir, project_root
from lab.classgrade import earned, last_commit_before
from lab.classtable import team_file
from lab.cli import parser
from lab.course import Milestone

ROOT = Path(__file__).resolve().parents[1]
# Boots, writes garbage on both serial ports, then triple-faults: the machine resets at once,
# so each scenario fails fast (a hypervisor that halts would wait out every step deadline).
GARBAGE = HEADER + """  mov $msg, %esi
1: movb (%esi), %al
  test %al, %al
  jz 2f
  mov $0x3f8, %dx
  out %al, %dx
  mov $0x2f8, %dx
  out %al, %dx
  inc %esi
  jmp 1b
2: lidt idtr
  int3
idtr:
  .word 0
  .long 0
msg:
  .asciz "\\001@lab bot\\177 garbage \\377\\n@lab end cod=x\\n"
"""
BEFORE, IN_GRACE, AFTER = ("2020-06-01 10:00:00 +0000", "2020-06-01 13:30:00 +0000",
                           "2020-06-01 14:30:00 +0000")  # deadline 12:00 + 2 h grace
COURSE = """\
course: e2e
grace_hours: 2
timeout_minutes: {timeout}
scale: [[12, 1], [8, 2], [4, 3]]
milestones:
  m1: {{deadline: 2020-06-01T12:00}}
  m2: {{deadline: 2999-01-01T00:00}}
teams:
"""


def team_yaml(build: str | None, backend: str = "svm") -> str:
    return (f"build: {build}\n" if build else "") + f"hypervisor: hv.elf\nbackend: {backend}\n"


def course(tmp_path: Path, teams: list[tuple[str, str, list[str], float]],
           timeout: float = 10) -> Path:
    lines = [f"  - {{name: {n}, repo: {r}, members: [{', '.join(m)}], bonus: {b}}}"
             for n, r, m, b in teams]
    f = tmp_path / "course.yaml"
    f.write_text(COURSE.format(timeout=timeout) + "\n".join(lines) + "\n")
    return f


def lab_class(tmp_path: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, LAB_RUNS_DIR=str(tmp_path / "runs"))  # the built tree shared
    return subprocess.run([sys.executable, "-m", "lab", "class", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def teams_of(out: Path) -> dict[str, dict]:
    return {t["team"]: t for t in json.loads((out / "class.json").read_text())["teams"]}


def test_graded_commit_is_the_last_by_committer_date_before_the_cutoff(tmp_path):
    repo = tmp_path / "repo"
    first = commit(repo, BEFORE, {"a": "1"})
    second = commit(repo, IN_GRACE, {"a": "2"})
    commit(repo, AFTER, {"a": "3"})
    cutoff = datetime(2020, 6, 1, 14, tzinfo=UTC)
    assert last_commit_before(repo, cutoff) == (second, "2020-06-01T13:30:00+00:00")
    assert last_commit_before(repo, datetime(2020, 6, 1, 13, tzinfo=UTC))[0] == first
    assert last_commit_before(repo, datetime(2020, 5, 1, tzinfo=UTC)) is None


def grade_json(folder: Path, **extra) -> Path:
    rows = [{"nodeid": "s.py::test_a", "milestone": "m1", "outcome": "passed", "earned": 2.0,
             "message": ""},
            {"nodeid": "s.py::test_b[x]", "milestone": "m1", "outcome": "failed", "earned": 0.0,
             "message": "no boot marker"},
            {"nodeid": "s.py::test_c", "milestone": "m2", "outcome": "passed", "earned": 9.0,
             "message": ""}]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grade.json").write_text(json.dumps(dict(scenarios=rows, **extra)))
    return folder


def test_milestone_points_are_read_from_grade_json_in_the_courses_points(tmp_path):
    m1 = Milestone("m1", datetime(2020, 1, 1, tzinfo=UTC), 5)
    assert earned(grade_json(tmp_path / "a"), m1) == (2.0, "1 failed; test_b[x]: no boot marker")
    heavier = Milestone("m1", m1.deadline, 10)  # the course weighs m1 double the lab's 5
    assert earned(grade_json(tmp_path / "a"), heavier)[0] == 4.0
    totals = {"m1": {"earned": 3.5, "possible": 4.6}}
    assert earned(grade_json(tmp_path / "b", totals=totals), m1)[0] == 3.5
    # a grade this machine could not complete says so in the class table, not a lower total
    why = ["NOT A GRADE: no platform here can run vmx (bochs: not installed)"]
    assert earned(grade_json(tmp_path / "c", not_a_grade=why), m1) == (2.0, why[0])


def test_the_reason_names_the_root_failure_not_one_that_follows_from_it(tmp_path):
    m1 = Milestone("m1", datetime(2020, 1, 1, tzinfo=UTC), 5)
    folder = grade_json(tmp_path)
    data = json.loads((folder / "grade.json").read_text())
    # xdist's workers report in any order: here the follower arrives first
    data["scenarios"].insert(0, {"nodeid": "s.py::test_d", "milestone": "m1",
                                 "outcome": "failed", "earned": 0.0,
                                 "message": "prerequisite failed: it does not boot"})
    (folder / "grade.json").write_text(json.dumps(data))
    assert earned(folder, m1) == (2.0, "2 failed; test_b[x]: no boot marker")


def test_missing_repository_no_commit_in_time_and_failed_build_cost_only_that_team(tmp_path):
    teams = tmp_path / "teams"
    nobuild = commit(teams / "nobuild", BEFORE, {"lab-team.yaml": team_yaml("exit 1")})
    assemble(HEADER + "  hlt\n", tmp_path / "hv.elf")
    commit(teams / "nobuild", AFTER, {"lab-team.yaml": team_yaml(None),  # too late
                                      "hv.elf": (tmp_path / "hv.elf").read_bytes()})
    commit(teams / "late", AFTER, {"lab-team.yaml": team_yaml(None)})
    f = course(tmp_path, [("ghost", "teams/ghost", ["A"], 1), ("late", "teams/late", ["B"], 0),
                          ("nobuild", "teams/nobuild", ["C"], 4.5)])
    done = lab_class(tmp_path, str(f), "--out", "out")
    assert done.returncode == 0, done.stderr
    got = teams_of(tmp_path / "out")
    ghost, late, nb = got["ghost"]["milestones"], got["late"]["milestones"], got["nobuild"]
    assert ghost["m1"]["reason"] == f"repository {teams / 'ghost'} does not exist ({f}:9)"
    assert late["m1"]["reason"] == "no commit before the deadline 2020-06-01 12:00 UTC + 2 h grace"
    assert (nb["milestones"]["m1"]["status"], nb["milestones"]["m1"]["commit"]) == ("failed",
                                                                                    nobuild)
    assert nb["milestones"]["m1"]["reason"] == (
        "build failed: the team build `exit 1` failed with status 1; its output is above")
    assert [got[t]["milestones"]["m2"]["status"] for t in got] == ["not due"] * 3
    assert [(got[t]["total"], got[t]["grade"]) for t in got] == [(1, 5), (0, 5), (4.5, 3)]
    assert f"nobuild {'0.00':>8}  not due" in done.stdout


def test_a_grade_past_the_time_limit_is_stopped_with_its_process_group(tmp_path):
    commit(tmp_path / "teams" / "hang", BEFORE,
           {"lab-team.yaml": team_yaml("echo $$ > build.pid; exec sleep 600")})
    f = course(tmp_path, [("hang", "teams/hang", ["A"], 0)], timeout=0.05)
    done = lab_class(tmp_path, str(f), "--out", "out")
    assert done.returncode == 0, done.stderr
    m1 = teams_of(tmp_path / "out")["hang"]["milestones"]["m1"]
    assert m1["reason"] == "grading took over the limit of 0.05 min (timeout_minutes); stopped"
    pid = int((tmp_path / "out" / "work" / "hang" / "build.pid").read_text())
    try:
        psutil.Process(pid).wait(10)  # its parent is gone: init reaps it
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(pid), "the team's build outlived the time limit"


@pytest.mark.parametrize("edit, args, message", [
    (("  m2:", "  m9:"), (), ":7: unknown milestone 'm9'"),
    (("", ""), ("--team", "nobody"), ": no team 'nobody' \\(teams: t\\)"),
    (("", ""), ("--team", "t", "--merge", "x"), "give --team .* or --merge .*, not both"),
])
def test_bad_course_or_options_are_one_line_with_status_2(tmp_path, edit, args, message):
    f = course(tmp_path, [("t", "teams/t", ["A"], 0)])
    f.write_text(f.read_text().replace(*edit))
    done = lab_class(tmp_path, str(f), *args)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("lab: error: ")
    assert re.search(message, line), line


def test_class_grades_each_team_at_its_last_commit_before_the_deadline(tmp_path, lab_outputs):
    teams = tmp_path / "teams"
    broken_build = {"lab-team.yaml": team_yaml("exit 7")}  # committed after the deadline
    ref = commit(teams / "ref", IN_GRACE,
                 {"lab-team.yaml": team_yaml(f"cp {lab_outputs.hypervisor} hv.elf")})
    commit(teams / "ref", AFTER, broken_build)
    garbage = assemble(GARBAGE, tmp_path / "garbage.elf").read_bytes()
    broken = commit(teams / "broken", BEFORE, {"lab-team.yaml": team_yaml(None),
                                               "hv.elf": garbage})
    commit(teams / "broken", AFTER, broken_build)
    commit(teams / "nobuild", BEFORE, {"lab-team.yaml": team_yaml("exit 1")})
    f = course(tmp_path, [("ref", "teams/ref", ["Ann", "Bob"], 0),
                          ("broken", "teams/broken", ["Cem", "Dan", "Eli"], 2),
                          ("nobuild", "teams/nobuild", ["Fay"], 4.5)])
    try:
        done = lab_class(tmp_path, str(f))
    finally:
        kill_emulators_under(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "reports" / "class"
    got = teams_of(out)

    def scenarios(team: str) -> list[dict]:
        return json.loads((out / team / "m1" / "grade.json").read_text())["scenarios"]

    r = got["ref"]["milestones"]["m1"]
    assert (r["status"], r["commit"], r["date"]) == ("graded", ref, "2020-06-01T13:30:00+00:00")
    assert r["earned"] > 0 and r["earned"] == sum(s["earned"] for s in scenarios("ref"))
    assert (got["ref"]["size_bonus"], got["ref"]["total"]) == (10, r["earned"] + 10)
    assert got["ref"]["grade"] == 1
    b = got["broken"]["milestones"]["m1"]
    passed = [s["nodeid"].split("::")[1] for s in scenarios("broken") if s["outcome"] == "passed"]
    assert passed == ["test_hypervisor_builds_as_a_multiboot_kernel"]  # and nothing it booted
    assert (b["status"], b["commit"], b["earned"]) == ("graded", broken, 1.0)
    assert re.match(r"\d+ failed(, .*)?; test_boots_and_logs_on_every_platform\[",
                    b["reason"]), b["reason"]
    assert (got["broken"]["total"], got["broken"]["grade"]) == (8, 2)
    n = got["nobuild"]["milestones"]["m1"]
    assert (n["status"], n["earned"]) == ("failed", 0)
    assert n["reason"].startswith("build failed: the team build `exit 1`")
    assert (got["nobuild"]["total"], got["nobuild"]["grade"]) == (4.5, 3)
    assert {t["milestones"]["m2"]["status"] for t in got.values()} == {"not due"}
    page = (out / "class.html").read_text()
    for link in ("ref/m1/grade.html", "broken/m1/grade.html", "broken/m1/bundles/"):
        assert f'href="{link}"' in page and (out / link).exists()
    assert f"ref     {r['earned']:8.2f}  not due    10     0 {r['earned'] + 10:7.2f}     1" \
        in done.stdout
    assert emulators_under(tmp_path) == []


GITLAB_CI_LOCAL = "4.73.0"  # the newest that runs on Node 20 (4.74 needs a newer Node)


def gitlab_ci_local() -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is missing, so gitlab-ci-local cannot be installed (apt-get install npm)")
    tools = build_dir(project_root()) / "tools"
    exe = tools / "node_modules" / ".bin" / "gitlab-ci-local"
    tools.mkdir(parents=True, exist_ok=True)
    with open(tools / ".install.lock", "w") as lock:  # pytest-xdist workers share build/
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = tools / "node_modules" / "gitlab-ci-local" / "package.json"
        if not installed.is_file() or json.loads(installed.read_text())["version"] \
                != GITLAB_CI_LOCAL:
            # npm 11 behind a TLS-inspecting proxy did not use its own `cafile` setting
            # (SELF_SIGNED_CERT_IN_CHAIN, seen in a clean environment here); Node does
            # use NODE_EXTRA_CA_CERTS
            cafile = subprocess.run([npm, "config", "get", "cafile"], capture_output=True,
                                    text=True).stdout.strip()
            env = dict(os.environ)
            if cafile not in ("", "null", "undefined") and Path(cafile).is_file():
                env.setdefault("NODE_EXTRA_CA_CERTS", cafile)
            done = subprocess.run([npm, "install", "--prefix", str(tools), "--no-audit",
                                   "--no-fund", f"gitlab-ci-local@{GITLAB_CI_LOCAL}"],
                                  timeout=300, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                pytest.fail(f"npm could not install gitlab-ci-local@{GITLAB_CI_LOCAL}: "
                            f"{(done.stderr or done.stdout).strip()[-300:]}", pytrace=False)
    return exe


def test_gitlab_template_grades_each_team_in_its_own_job_then_merges(tmp_path):
    exe = gitlab_ci_local()
    assert shutil.which("rsync"), "gitlab-ci-local copies each job's files with rsync: run.sh"
    teams = tmp_path / "teams"
    commit(teams / "nobuild", BEFORE, {"lab-team.yaml": team_yaml("exit 1")})
    ci = tmp_path / "staff"
    ci.mkdir()
    # The course names its repositories by absolute path: each job runs in its own folder.
    course(ci, [("nobuild", str(teams / "nobuild"), ["A", "B"], 0),
                ("ghost", str(teams / "ghost"), ["C"], 1)])
    pipeline = yaml.safe_load((ROOT / "ci-templates" / "gitlab-class.yml").read_text())
    del pipeline["default"]  # no image (gitlab-ci-local runs the jobs on this host) and no apt
    pipeline["grade-team"]["parallel"]["matrix"] = [{"TEAM": ["nobuild", "ghost"]}]
    (ci / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline))
    commit(ci, BEFORE, {})
    env = dict(os.environ, LAB_RUNS_DIR=str(tmp_path / "runs"))
    done = subprocess.run([str(exe), "--shell-isolation", "--variable",
                           f"LAB={shlex.quote(sys.executable)} -m lab"],
                          cwd=ci, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    artifacts = ci / ".gitlab-ci-local" / "artifacts"
    # each team's job left only its own result; the merge job found both
    assert [sorted(p.name for p in job.rglob("team-*.json"))
            for job in sorted(artifacts.glob("grade-team*"))] == [["team-ghost.json"],
                                                                   ["team-nobuild.json"]]
    (merged,) = artifacts.glob("class-table*/reports/class/class.json")
    got = {t["team"]: t for t in json.loads(merged.read_text())["teams"]}
    assert got["nobuild"]["milestones"]["m1"]["reason"].startswith("build failed")
    assert got["ghost"]["milestones"]["m1"]["reason"].startswith(
        f"repository {teams / 'ghost'} does not exist")
    assert [(t["total"], t["grade"]) for t in got.values()] == [(10, 2), (1, 5)]
    assert (merged.parent / "class.html").is_file()


def test_ci_templates_run_lab_commands_the_lab_accepts_and_keep_the_team_files():
    gitlab = yaml.safe_load((ROOT / "ci-templates" / "gitlab-class.yml").read_text())
    github = yaml.safe_load((ROOT / "ci-templates" / "github-class.yml").read_text())
    lines = [*gitlab["grade-team"]["script"], *gitlab["class-table"]["script"]]
    lines += [s["run"] for job in github["jobs"].values() for s in job["steps"]
              if "run.sh lab" in s.get("run", "")]
    assert len(lines) == 4
    for line in lines:
        words = shlex.split(line.replace("$LAB", "lab").replace("./run.sh lab", "lab")
                            .replace("$COURSE", "course.yaml").replace("$TEAM", "alpha")
                            .replace("${{ matrix.team }}", "alpha"))
        assert words[:2] == ["lab", "class"], line
        a = parser().parse_args(words[1:])
        assert a.out == Path("reports/class") and (a.team == "alpha" or a.merge)
    # what each team job keeps is what the merge looks for
    assert str(team_file(Path("reports/class"), "$TEAM")) in \
        gitlab["grade-team"]["artifacts"]["paths"]
    upload = github["jobs"]["grade-team"]["steps"][-1]["with"]["path"]
    assert str(team_file(Path("reports/class"), "${{ matrix.team }}")) in upload.splitlines()
