"""Mutants of the reference hypervisor: is every check able to fail?

Each mutant is a small, named fault kept as a patch under tests/mutants/ (indexed by one
YAML file per milestone there, tests/mutants/m*.yaml). It is applied to a copy of hypervisor/, built there, and the
scenarios that should kill it are run against it with --hypervisor. A mutant survives when
all of them pass.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .build import build, build_dir, project_root
from .errors import ConfigError, LabError

FOLDER = Path("tests") / "mutants"


@dataclass
class Mutant:
    name: str
    patch: Path
    fault: str
    killed_by: list[str]
    outcomes: dict[str, str] = field(default_factory=dict)  # scenario -> outcome

    @property
    def killed(self) -> bool:
        return any(o in ("failed", "timeout") for o in self.outcomes.values())


def load(root: Path | None = None) -> list[Mutant]:
    root = root or project_root()
    mutants: dict[str, Mutant] = {}
    for index in sorted((root / FOLDER).glob("*.yaml")):
        try:
            data = yaml.safe_load(index.read_text())
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"{index}: {e}") from None
        if not isinstance(data, (dict, type(None))):
            raise ConfigError(f"{index}: expected a mapping of mutant names")
        for name, spec in (data or {}).items():
            if not (isinstance(spec, dict) and isinstance(spec.get("patch"), str)
                    and isinstance(spec.get("killed_by"), list) and spec["killed_by"]):
                raise ConfigError(f"{index}: mutant {name} needs a patch and killed_by scenarios")
            if name in mutants:
                raise ConfigError(f"{index}: mutant {name} is also named in another file")
            mutants[name] = Mutant(name, index.parent / spec["patch"], spec.get("fault", ""),
                                   [str(s) for s in spec["killed_by"]])
    return list(mutants.values())


def tree(m: Mutant, work: Path, root: Path | None = None) -> Path:
    """A copy of the sources with the mutant's patch applied (`git apply`, no repository)."""
    root = root or project_root()
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    for part in ("hypervisor", "images"):
        shutil.copytree(root / part, src / part)
    # Inside the lab's own checkout git would take `src` for a subfolder of it and skip
    # every path of the patch (seen: all mutants "survived" unchanged); the ceiling makes it
    # a plain patch tool here.
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(work.resolve()))
    done = subprocess.run(["git", "apply", "--verbose", str(m.patch)], cwd=src, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or "Applied patch" not in done.stderr:
        raise LabError(f"mutant {m.name}: its patch does not apply: "
                       f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return src


def build_mutant(m: Mutant, work: Path) -> Path:
    """The mutant's hypervisor ELF, built in its own copy of the tree."""
    src = tree(m, work)
    # its own build folder, whatever LAB_BUILD_DIR says: never over the reference's
    saved = os.environ.get("LAB_BUILD_DIR")
    os.environ["LAB_BUILD_DIR"] = str(src / "build")
    try:
        elf = build_dir(src) / "hypervisor" / "hypervisor.elf"
        build(root=src, targets=[os.path.relpath(elf, src)], quiet=True)
    finally:
        if saved is None:
            os.environ.pop("LAB_BUILD_DIR", None)
        else:
            os.environ["LAB_BUILD_DIR"] = saved
    return elf


def run_scenarios(m: Mutant, hypervisor: Path, work: Path) -> dict[str, str]:
    """Each killing scenario's outcome against the mutant, as the grader says it."""
    reports = work / "reports"
    subprocess.run([sys.executable, "-m", "pytest", *m.killed_by, "-p", "no:cacheprovider",
                    f"--hypervisor={hypervisor}", f"--report-dir={reports}", "-q"],
                   cwd=project_root(), capture_output=True, text=True, check=False)
    try:
        rows = json.loads((reports / "grade.json").read_text())["scenarios"]
    except (OSError, ValueError, KeyError):
        raise LabError(f"mutant {m.name}: the grader wrote no grade.json") from None
    found = {r["nodeid"]: r["outcome"] for r in rows}
    return {node: found.get(node, "not-run") for node in m.killed_by}


def check(m: Mutant, work: Path) -> Mutant:
    work.mkdir(parents=True, exist_ok=True)
    m.outcomes = run_scenarios(m, build_mutant(m, work), work)
    return m
