"""A course file: the milestones with their deadlines, the grading scale, and the teams.

    course: cloud-os-2026
    grace_hours: 48          # a milestone is graded at the last commit before deadline + grace
    timeout_minutes: 60      # wall-clock limit of one team's milestone
    scale: [[87.5, 1], [75, 2], [62.5, 3], [50, 4]]   # total at least 87.5: 1; below 50: 5
    team_size_bonus: {3: 5, 2: 10}                    # members -> points
    milestones:
      m1: {deadline: 2026-10-20T23:59}                # UTC unless it names a zone; points: 5
    teams:
      - {name: alpha, repo: ../teams/alpha, members: [Ann, Bob], bonus: 5}

The file is read as YAML nodes, which keep their line numbers, so every error names the file
and the line to fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from .errors import ConfigError
from .grading import MILESTONES

TOP_KEYS = ("course", "grace_hours", "timeout_minutes", "scale", "team_size_bonus",
            "milestones", "teams")
MILESTONE_KEYS = ("deadline", "points")
TEAM_KEYS = ("name", "repo", "members", "bonus")
DEFAULT_SCALE = ((87.5, 1), (75, 2), (62.5, 3), (50, 4))
DEFAULT_SIZE_BONUS = {3: 5, 2: 10}
FAIL_GRADE = 5  # below the scale's last threshold
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a team name is a folder and a CI value
URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+@[\w.-]+:")  # https://..., git@host:path


@dataclass
class Milestone:
    name: str
    deadline: datetime  # aware
    points: float


@dataclass
class CourseTeam:
    name: str
    repo: str  # a URL, or an absolute path (the file's relative paths are resolved)
    members: list[str]
    bonus: float
    line: int  # where the course file names the team: its failures point there


@dataclass
class Course:
    path: Path
    name: str
    grace: timedelta
    timeout_minutes: float
    scale: tuple[tuple[float, float], ...]  # (lowest total, grade), highest threshold first
    team_size_bonus: dict[int, float]
    milestones: dict[str, Milestone]  # in the lab's order m1 ... m6
    teams: list[CourseTeam]

    def cutoff(self, m: Milestone) -> datetime:
        return m.deadline + self.grace

    def grade(self, total: float) -> float:
        return next((g for low, g in self.scale if total >= low), FAIL_GRADE)

    def size_bonus(self, team: CourseTeam) -> float:
        return self.team_size_bonus.get(len(team.members), 0)

    def where(self, line: int) -> str:
        return f"{self.path}:{line}"

    def team(self, name: str) -> CourseTeam:
        for t in self.teams:
            if t.name == name:
                return t
        raise ConfigError(f"{self.path}: no team '{name}' (teams: "
                          f"{', '.join(t.name for t in self.teams)})")


class _Reader:
    """Reads values out of YAML nodes, failing with the file and the node's line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._constructor = yaml.SafeLoader("")

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1

    def fail(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line(node)}: {message}")

    def value(self, node: yaml.Node):
        return self._constructor.construct_object(node, deep=True)

    def pairs(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        seen: dict = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.fail(key, f"a key of {what} must be a plain word")
            k = self.value(key)
            if k in seen:
                raise self.fail(key, f"'{k}' given twice in {what} (first at line {seen[k]})")
            seen[k] = self.line(key)
        return node.value

    def mapping(self, node: yaml.Node, what: str, known: tuple[str, ...]) -> dict:
        out = {}
        for key, value in self.pairs(node, what):
            k = self.value(key)
            if k not in known:
                raise self.fail(key, f"unknown key '{k}' in {what} (known: {', '.join(known)})")
            out[k] = value
        return out

    def text(self, node: yaml.Node, what: str) -> str:
        v = self.value(node)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(node, f"{what} must be a text, got {v!r}")
        return v

    def number(self, node: yaml.Node, what: str, low: float = 0.0) -> float:
        v = self.value(node)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= low:
            raise self.fail(node, f"{what} must be a number of at least {low:g}, got {v!r}")
        return float(v)

    def deadline(self, node: yaml.Node, what: str) -> datetime:
        # The node's own text: YAML would read a date-time without seconds as a string but
        # one with them as a naive datetime, and a bare date as a date.
        raw = node.value if isinstance(node, yaml.ScalarNode) else None
        try:
            when = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise self.fail(node, f"{what} '{raw}' is not an ISO date-time "
                                  "(e.g. 2026-10-20T23:59)") from None
        if len(str(raw).strip()) <= 10:
            raise self.fail(node, f"{what} '{raw}' needs a time of day "
                                  f"(e.g. {raw}T23:59)")
        return when if when.tzinfo else when.replace(tzinfo=UTC)


def load_course(path: Path) -> Course:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"course file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read course file {path}: {getattr(e, 'strerror', e)}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: {getattr(e, 'problem', None) or 'invalid YAML'}") \
            from None
    r = _Reader(path)
    if root is None:
        raise ConfigError(f"{path}: empty course file (needs course, milestones and teams)")
    top = r.mapping(root, "the course file", TOP_KEYS)
    for key in ("course", "milestones", "teams"):
        if key not in top:
            raise r.fail(root, f"the course file needs '{key}'")
    return Course(
        path=path, name=r.text(top["course"], "course"),
        grace=timedelta(hours=r.number(top["grace_hours"], "grace_hours"))
        if "grace_hours" in top else timedelta(0),
        timeout_minutes=r.number(top["timeout_minutes"], "timeout_minutes", 0.01)
        if "timeout_minutes" in top else 60.0,
        scale=_scale(r, top["scale"]) if "scale" in top else DEFAULT_SCALE,
        team_size_bonus=_size_bonus(r, top["team_size_bonus"])
        if "team_size_bonus" in top else dict(DEFAULT_SIZE_BONUS),
        milestones=_milestones(r, top["milestones"]),
        teams=_teams(r, top["teams"], path.parent.resolve()))


def _scale(r: _Reader, node: yaml.Node) -> tuple[tuple[float, float], ...]:
    shape = "scale must be a list of [lowest total, grade] pairs, highest first"
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise r.fail(node, shape)
    steps = []
    for item in node.value:
        if not isinstance(item, yaml.SequenceNode) or len(item.value) != 2:
            raise r.fail(item, shape)
        low, grade = (r.number(v, "a scale entry", float("-inf")) for v in item.value)
        if steps and low >= steps[-1][0]:
            raise r.fail(item, f"{shape} ({low:g} follows {steps[-1][0]:g})")
        steps.append((low, grade))
    return tuple(steps)


def _size_bonus(r: _Reader, node: yaml.Node) -> dict[int, float]:
    out = {}
    for key, value in r.pairs(node, "team_size_bonus"):
        size = r.value(key)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise r.fail(key, f"team_size_bonus maps a member count to points; {size!r} "
                              "is not a member count")
        out[size] = r.number(value, f"team_size_bonus for {size} members")
    return out


def _milestones(r: _Reader, node: yaml.Node) -> dict[str, Milestone]:
    found = {}
    for key, value in r.pairs(node, "milestones"):
        name = r.value(key)
        if name not in MILESTONES:
            raise r.fail(key, f"unknown milestone '{name}' (known: {', '.join(MILESTONES)})")
        m = r.mapping(value, f"milestone {name}", MILESTONE_KEYS)
        if "deadline" not in m:
            raise r.fail(value, f"milestone {name} needs a deadline")
        points = (r.number(m["points"], f"the points of {name}") if "points" in m
                  else float(MILESTONES[name][1]))
        found[name] = Milestone(name, r.deadline(m["deadline"], f"the deadline of {name}"),
                                points)
    if not found:
        raise r.fail(node, "milestones names none (m1 ... m6)")
    return {m: found[m] for m in MILESTONES if m in found}


def _teams(r: _Reader, node: yaml.Node, base: Path) -> list[CourseTeam]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise r.fail(node, "teams must be a list of teams (name, repo, members)")
    teams: list[CourseTeam] = []
    for item in node.value:
        t = r.mapping(item, "a team", TEAM_KEYS)
        for key in ("name", "repo", "members"):
            if key not in t:
                raise r.fail(item, f"a team needs '{key}' (keys: {', '.join(TEAM_KEYS)})")
        name = r.text(t["name"], "a team's name")
        if not NAME.fullmatch(name):
            raise r.fail(t["name"], f"team name '{name}' may hold only letters, digits, "
                                    "'.', '_' and '-' (it names a folder and a CI job)")
        same = [o for o in teams if o.name == name]
        if same:
            raise r.fail(t["name"], f"two teams are named '{name}' (the other at line "
                                    f"{same[0].line})")
        repo = r.text(t["repo"], f"the repo of team {name}")
        if not URL.match(repo):
            repo = str((base / Path(repo).expanduser()).resolve())
        members = r.value(t["members"])
        if not (isinstance(members, list) and members
                and all(isinstance(m, str) and m.strip() for m in members)):
            raise r.fail(t["members"], f"the members of team {name} must be a list of names")
        bonus = r.number(t["bonus"], f"the bonus of team {name}", float("-inf")) \
            if "bonus" in t else 0.0
        teams.append(CourseTeam(name, repo, members, bonus, r.line(item)))
    return teams
