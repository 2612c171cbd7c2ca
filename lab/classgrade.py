"""Grading one team of a course: clone its repository, and for each milestone that is due
check out the last commit before the deadline (plus grace) and run `lab grade` on it.

Each team-milestone runs as its own process group with a wall-clock limit: a team's build
error, missing commit or hang costs that milestone its points, never the class its table.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from .classtable import FAILED, GRADED, NOT_DUE, MilestoneResult, due
from .course import URL, Course, CourseTeam, Milestone
from .grading import MILESTONES, PREREQUISITE_FAILED, outcome_counts

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0"}  # a private URL fails instead of asking for a password
TERM_GRACE = 15  # seconds between SIGTERM (the lab reaps its emulators) and SIGKILL
BUILD_FAILED = "the team build"  # how lab.team's build errors begin


class TeamFailure(Exception):
    """Why a team's milestone could not be graded; one line for the table."""


def _git(args: list[str], cwd: Path | None, timeout: float) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout,
                              env=dict(os.environ, **GIT_ENV))
    except subprocess.TimeoutExpired:
        raise TeamFailure(f"git {args[0]} took over {timeout:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"status {done.returncode}"])[-1]
        raise TeamFailure(f"git {args[0]} failed: {last}")
    return done.stdout


def clone(course: Course, team: CourseTeam, dest: Path) -> None:
    if not URL.match(team.repo) and not Path(team.repo).exists():
        raise TeamFailure(f"repository {team.repo} does not exist "
                          f"({course.where(team.line)})")
    shutil.rmtree(dest, ignore_errors=True)  # a fresh clone: nothing left from an older run
    dest.parent.mkdir(parents=True, exist_ok=True)
    _git(["clone", "--quiet", "--no-checkout", team.repo, str(dest)], None,
         course.timeout_minutes * 60)


def last_commit_before(repo: Path, cutoff: datetime) -> tuple[str, str] | None:
    """The commit of HEAD's history with the latest committer date not after `cutoff`."""
    best = None
    for line in _git(["log", "--format=%H %ct %cI", "HEAD"], repo, 120).splitlines():
        sha, stamp, date = line.split()
        if int(stamp) <= cutoff.timestamp() and (best is None or int(stamp) > best[0]):
            best = (int(stamp), sha, date)
    return (best[1], best[2]) if best else None


def _stop(p: subprocess.Popen) -> None:
    """End the grade's whole process group: SIGTERM first, so the lab reaps its emulators."""
    for sig, wait in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            return
        try:
            p.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_grade(checkout: Path, milestone: str, report: Path, limit_s: float) -> int:
    """`lab grade` of one milestone in its own process group; its output goes to grade.log."""
    report.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "lab", "grade", "--hypervisor", str(checkout),
           "-m", milestone, "--report-dir", str(report)]
    with open(report / "grade.log", "w") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            return p.wait(limit_s)
        except subprocess.TimeoutExpired:
            _stop(p)
            raise TeamFailure(f"grading took over the limit of {limit_s / 60:g} min "
                              "(timeout_minutes); stopped") from None
        except BaseException:  # Ctrl-C: nothing of the team's may outlive the class
            _stop(p)
            raise


def earned(report: Path, m: Milestone) -> tuple[float, str]:
    """Points earned in the course's points, and why some are missing, from grade.json: its
    `totals` when it has them, else the sum over the milestone's scenarios."""
    data = json.loads((report / "grade.json").read_text())
    rows = [r for r in data.get("scenarios", []) if r.get("milestone") == m.name]
    totals = data.get("totals")
    points = (float(totals[m.name]["earned"]) if isinstance(totals, dict)
              and m.name in totals else sum(float(r["earned"]) for r in rows))
    # grade.json counts the lab's points; the course may weigh the milestone differently
    points *= m.points / MILESTONES[m.name][1]
    lost = [r for r in rows if r["outcome"] != "passed" and r.get("counted", True)]
    if data.get("not_a_grade"):  # this machine could not grade it all: said first, in full
        return points, "; ".join(data["not_a_grade"])[:300]
    if not lost:
        return points, ""
    # the root cause first: a failure of its own before one that only follows from a failed
    # prerequisite (xdist's workers finish in any order, so grade.json's order says nothing)
    real = [r for r in lost if r["outcome"] not in ("not-gradable", "skipped")]
    first = next((r for r in real if not r["message"].startswith(PREREQUISITE_FAILED)),
                 real[0] if real else lost[0])
    name = first["nodeid"].split("::")[-1]
    said = outcome_counts(r["outcome"] for r in lost)
    return points, f"{said}; {name}: {first['message']}"[:300]


def _failure_from_log(log: Path, status: int) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    errors = [ln.removeprefix("lab: error: ") for ln in lines if ln.startswith("lab: error: ")]
    if errors and errors[-1].startswith(BUILD_FAILED):
        return f"build failed: {errors[-1]}"
    return errors[-1] if errors else f"lab grade ended with status {status} and no grade"


def grade_milestone(course: Course, m: Milestone, repo: Path, report: Path,
                    out: Path) -> MilestoneResult:
    res = MilestoneResult(FAILED, possible=m.points)
    try:
        _grade(course, m, repo, report, out, res)
    except TeamFailure as e:
        res.reason = str(e)
    return res


def _grade(course: Course, m: Milestone, repo: Path, report: Path, out: Path,
           res: MilestoneResult) -> None:
    found = last_commit_before(repo, course.cutoff(m))
    if found is None:
        grace = f" + {course.grace.total_seconds() / 3600:g} h grace" if course.grace else ""
        raise TeamFailure(f"no commit before the deadline {m.deadline:%Y-%m-%d %H:%M %Z}{grace}")
    res.commit, res.date = found
    _git(["checkout", "--quiet", "--force", "--detach", res.commit], repo, 300)
    _git(["clean", "-fdxq"], repo, 300)  # the last milestone's build outputs are not graded
    shutil.rmtree(report, ignore_errors=True)
    res.report = os.path.relpath(report, out)
    status = run_grade(repo, m.name, report, course.timeout_minutes * 60)
    if not (report / "grade.json").is_file():
        raise TeamFailure(_failure_from_log(report / "grade.log", status))
    try:
        res.earned, res.reason = earned(report, m)
    except (OSError, ValueError, KeyError, TypeError):
        raise TeamFailure(f"{report / 'grade.json'} is unreadable") from None
    res.status = GRADED


def grade_team(course: Course, team: CourseTeam, out: Path, now: datetime,
               progress=print) -> dict[str, MilestoneResult]:
    """The team's result per milestone of the course; graded under out/<team>/<milestone>,
    its clone in out/work/<team>."""
    results = {m: MilestoneResult(NOT_DUE, possible=course.milestones[m].points)
               for m in course.milestones}
    todo = due(course, now)
    repo = out / "work" / team.name
    try:
        clone(course, team, repo)
    except TeamFailure as e:
        progress(f"{team.name}: {e}")
        for m in todo:
            results[m] = MilestoneResult(FAILED, possible=course.milestones[m].points,
                                         reason=str(e))
        return results
    for m in todo:
        start = time.monotonic()
        progress(f"{team.name} {m}: grading ...")
        res = grade_milestone(course, course.milestones[m], repo, out / team.name / m, out)
        res.seconds = round(time.monotonic() - start, 1)
        results[m] = res
        progress(f"{team.name} {m}: {res.status}, {res.earned:.2f} of {res.possible:g} "
                 f"({res.seconds:.0f} s){': ' + res.reason if res.reason else ''}")
    return results
