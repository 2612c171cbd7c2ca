"""The class table: each team's points per milestone, bonuses, total and grade, printed and
written as class.csv, class.json and class.html; and the merge of per-team results that
CI jobs graded on other machines."""
from __future__ import annotations

import csv
import glob
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from .course import FAIL_GRADE, Course, CourseTeam
from .errors import ConfigError

NOT_DUE, GRADED, FAILED = "not due", "graded", "failed"
UNCAPPED = "totals are not capped: bonuses can lift a total above the milestones' sum"


@dataclass
class MilestoneResult:
    status: str  # graded, failed (the team's build, repository or a hang) or not due
    earned: float = 0.0  # in the course's points
    possible: float = 0.0  # the course's points, whatever this host could reach
    commit: str = ""  # the graded commit
    date: str = ""  # its committer date
    reason: str = ""  # why points are missing: a build error, failed scenarios, ...
    report: str = ""  # the folder of its grade.json and grade.html, relative to the table
    seconds: float = 0.0


@dataclass
class TeamResult:
    team: str
    milestones: dict[str, MilestoneResult]
    members: list[str] = field(default_factory=list)
    size_bonus: float = 0.0
    bonus: float = 0.0  # the staff's
    total: float = 0.0
    grade: float = 0.0


def score(course: Course, team: CourseTeam, milestones: dict[str, MilestoneResult]) -> TeamResult:
    """Total and grade from the course file's bonuses and scale (read again at every merge:
    the staff may add a bonus after CI graded)."""
    size = course.size_bonus(team)
    total = sum(m.earned for m in milestones.values()) + size + team.bonus
    return TeamResult(team.name, milestones, list(team.members), size, team.bonus, total,
                      course.grade(total))


def due(course: Course, now: datetime) -> list[str]:
    return [m.name for m in course.milestones.values() if course.cutoff(m) <= now]


def as_json(course: Course, rows: list[TeamResult], now: datetime) -> dict:
    return {"course": course.name, "generated": now.isoformat(timespec="seconds"),
            "milestones": {m.name: {"deadline": m.deadline.isoformat(),
                                    "graded_at": course.cutoff(m).isoformat(),
                                    "points": m.points, "due": course.cutoff(m) <= now}
                           for m in course.milestones.values()},
            "scale": [list(s) for s in course.scale], "uncapped": UNCAPPED,
            "teams": [asdict(r) for r in rows]}


def _cell(r: MilestoneResult) -> str:
    return r.status if r.status == NOT_DUE else f"{r.earned:.2f}"


def table(course: Course, rows: list[TeamResult], now: datetime) -> list[str]:
    names = list(course.milestones)
    w = max([4, *(len(r.team) for r in rows)])
    head = "".join(f"{f'{m}/{course.milestones[m].points:g}':>9}" for m in names)
    lines = [f"class {course.name}: {len(rows)} teams",
             f"{'team':<{w}}{head} {'size':>5} {'staff':>5} {'total':>7} {'grade':>5}"]
    for r in rows:
        cells = "".join(f"{_cell(r.milestones[m]):>9}" for m in names)
        lines.append(f"{r.team:<{w}}{cells} {r.size_bonus:5g} {r.bonus:5g} {r.total:7.2f} "
                     f"{r.grade:5g}")
    lines.append("graded commits:")
    for r in rows:
        for m, res in r.milestones.items():
            if res.status == NOT_DUE:
                continue
            commit = f"{res.commit[:7]} {res.date[:16]}" if res.commit else "-"
            why = f": {res.reason}" if res.reason else ""
            lines.append(f"  {r.team:<{w}} {m} {res.earned:6.2f}/{res.possible:<4g} {commit:<24} "
                         f"{res.status}{why}")
    later = [f"{m} (graded from {course.cutoff(course.milestones[m]):%Y-%m-%d %H:%M %Z})"
             for m in names if m not in due(course, now)]
    if later:
        lines.append(f"not due yet: {', '.join(later)}; the grades are provisional")
    lines.append(UNCAPPED)
    return lines


def write(course: Course, rows: list[TeamResult], out: Path, now: datetime) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    names = list(course.milestones)
    with open(out / "class.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["team", "members", *(f"{m}{s}" for m in names
                                         for s in ("", "_status", "_commit", "_date", "_reason")),
                    "size_bonus", "bonus", "total", "grade"])
        for r in rows:
            cells = []
            for m in names:
                res = r.milestones[m]
                cells += [f"{res.earned:.2f}", res.status, res.commit, res.date, res.reason]
            w.writerow([r.team, "; ".join(r.members), *cells, f"{r.size_bonus:g}",
                        f"{r.bonus:g}", f"{r.total:.2f}", f"{r.grade:g}"])
    (out / "class.json").write_text(json.dumps(as_json(course, rows, now), indent=1) + "\n")
    env = jinja2.Environment(loader=jinja2.PackageLoader("lab", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    bundles = {res.report for r in rows for res in r.milestones.values()
               if res.report and (out / res.report / "bundles").is_dir()}
    page = env.get_template("class.html.j2").render(
        course=course, rows=rows, milestones=names, now=now, bundles=bundles,
        uncapped=UNCAPPED, not_due=NOT_DUE, fail_grade=FAIL_GRADE)
    (out / "class.html").write_text(page)
    return [out / "class.csv", out / "class.json", out / "class.html"]


def team_file(out: Path, team: str) -> Path:
    """One team's result, as a CI job leaves it for the merge."""
    return out / f"team-{team}.json"


def write_team(course: Course, row: TeamResult, out: Path, now: datetime) -> Path:
    path = team_file(out, row.team)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(course, [row], now), indent=1) + "\n")
    return path


def _files(given: list[str]) -> list[Path]:
    files: list[Path] = []
    for g in given:
        p = Path(g)
        if p.is_dir():  # a CI artifact folder: the team files anywhere below it
            found = sorted(p.rglob("team-*.json"))
            if not found:
                raise ConfigError(f"--merge {g}: no team-*.json below this folder")
        else:
            found = [Path(f) for f in sorted(glob.glob(g))] if not p.is_file() else [p]
            if not found:
                raise ConfigError(f"--merge {g}: no such file, folder or match")
        files += found
    return files


def merge(course: Course, given: list[str], out: Path) -> dict[str, dict[str, MilestoneResult]]:
    """The teams' milestone results from team-*.json files (or class.json files), with their
    report folders relative to `out`."""
    results: dict[str, dict[str, MilestoneResult]] = {}
    source: dict[str, Path] = {}
    names = {t.name for t in course.teams}
    for f in _files(given):
        try:
            data = json.loads(f.read_text())
            teams = data["teams"]
            course_name = data["course"]
        except (OSError, ValueError, KeyError, TypeError):
            raise ConfigError(f"{f}: not a team result of `lab class`") from None
        if course_name != course.name:
            raise ConfigError(f"{f}: a result of course '{course_name}', not '{course.name}'")
        for t in teams:
            name = t.get("team")
            if name not in names:
                raise ConfigError(f"{f}: team '{name}' is not in {course.path}")
            if name in results:
                raise ConfigError(f"{f}: a second result for team '{name}' (first: "
                                  f"{source[name]})")
            try:
                results[name] = {m: MilestoneResult(**v) for m, v in t["milestones"].items()}
            except (KeyError, TypeError, AttributeError):
                raise ConfigError(f"{f}: team '{name}' has malformed milestones") from None
            source[name] = f
            for res in results[name].values():  # links that work from the merged table
                if res.report:
                    res.report = os.path.relpath(f.parent / res.report, out)
    return results


def missing(course: Course, now: datetime, why: str) -> dict[str, MilestoneResult]:
    done = due(course, now)
    return {m.name: MilestoneResult(FAILED if m.name in done else NOT_DUE, possible=m.points,
                                    reason=why if m.name in done else "")
            for m in course.milestones.values()}


def complete(course: Course, results: dict[str, MilestoneResult],
             now: datetime) -> dict[str, MilestoneResult]:
    """A result for each of the course's milestones, in its order (a merged file may lack one
    the course file has gained since)."""
    absent = missing(course, now, "no result for this milestone")
    return {m: results.get(m) or absent[m] for m in course.milestones}


def utcnow() -> datetime:
    return datetime.now(UTC)
