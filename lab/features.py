"""The features of milestones 5 and 6 (CONTRACT.md 10): the catalogue, which one a grade
counts, and what the reference hypervisor does not offer yet.

A feature is a named set of scenarios, marked `@scenario("m5", 4, feature="dedup")`. A team
bids for one (`feature:` in lab-team.yaml) and is graded on it alone: the other features'
scenarios are not run, and the table shows them as not chosen. A team whose feature is not
in the catalogue brings its own scenario file (`feature_tests:`), graded under the same
points (its scenarios' points are weights, scaled to m5's 10 and m6's 30) and marked
team-written in the report, for the staff to review. The reference is graded on every
feature of the catalogue; its total counts one (DEFAULT).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

CATALOGUE = {
    "consolidation": "Several guests on one CPU",
    "dedup": "Page deduplication across guests",
}
DEFAULT = "consolidation"
MILESTONES = ("m5", "m6")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

# The one place that says what the reference hypervisor lacks. Its runs of these features'
# scenarios are expected to fail, strictly: the day the reference passes one, that scenario
# fails the suite as XPASS, a reminder to take its feature off this list.
REFERENCE_LACKS: dict[str, str] = {}


@dataclass(frozen=True)
class Choice:
    """The feature a grade counts, and the team's own scenario file for it, if any."""

    name: str = DEFAULT
    tests: Path | None = None  # a team-written scenario file (a feature outside the catalogue)

    @property
    def team_written(self) -> bool:
        return self.tests is not None


def check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise ConfigError(f"{where}: a feature is a short lower-case name "
                          f"(like {', '.join(CATALOGUE)}), not {name!r}")
    return name


def choose(name: object, tests: object = None, where: str = "feature",
           base: Path | None = None) -> Choice:
    """The feature a team bids for: a catalogue name, or any name with its own scenario file
    (a Python file of scenarios written with the lab's fixtures). One-line ConfigError else."""
    name = check_name(name, where)
    if tests is None:
        if name not in CATALOGUE:
            raise ConfigError(f"{where}: unknown feature '{name}' (the catalogue: "
                              f"{', '.join(CATALOGUE)}; a team's own feature needs "
                              "feature_tests: PATH, its scenario file)")
        return Choice(name)
    if name in CATALOGUE:
        raise ConfigError(f"{where}: '{name}' is a catalogue feature, graded by the lab's own "
                          "scenarios: leave out feature_tests, or name your feature otherwise")
    if not isinstance(tests, (str, Path)) or not str(tests):
        raise ConfigError(f"{where}: feature_tests must be a path to a Python file")
    path = Path(tests).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise ConfigError(f"{where}: feature_tests {path} does not exist")
    if path.suffix != ".py":
        raise ConfigError(f"{where}: feature_tests {path} is not a Python file (.py)")
    return Choice(name, path.resolve())
