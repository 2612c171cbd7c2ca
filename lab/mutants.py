"""Mutants of the reference hypervisor: is every check able to fail?

Each mutant is a small, named fault kept as a patch under tests/mutants/ (indexed by one
YAML file per milestone there, tests/mutants/m*.yaml). It is applied to a copy of
hypervisor/, built there, and the scenarios that should kill it are run against it with
--hypervisor. A mutant survives when all of them pass.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .build import build, build_dir, project_root
from .errors import ConfigError, LabError

FOLDER = Path("tests") / "mutants"
KILLED = ("failed", "hung", "timeout")  # the grader's outcomes that fail a scenario


@dataclass
class Mutant:
    name: str
    patch: Path
    fault: str
    killed_by: list[str]
    outcomes: dict[str, str] = field(default_factory=dict)  # scenario -> outcome

    @property
    def killed(self) -> bool:
        return self.killed_where(set(self.outcomes))

    def killed_where(self, valid: set[str]) -> bool:
        """Killed by a scenario that passes on the reference."""
        return any(o in KILLED and n in valid for n, o in self.outcomes.items())


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


def run_scenarios(nodes: list[str], work: Path, hypervisor: Path | None = None,
                  guests: tuple[str, ...] = ()) -> dict[str, str]:
    """Each scenario's outcome as the grader says it: against `hypervisor`, or against the
    reference (built from this checkout) when it is None. `guests`: the grader's options
    naming the guests some scenarios need (--sweb=, --kvm-unit-tests=)."""
    reports = work / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    args = [sys.executable, "-m", "pytest", *nodes, "-p", "no:cacheprovider",
            f"--report-dir={reports}", "-q", "--all-platforms",
            # a foreign hypervisor is graded on one feature; a mutant's scenarios may be
            # any feature's
            "--all-features"]
    if hypervisor is not None:
        args.append(f"--hypervisor={hypervisor}")
    args += guests
    subprocess.run(args, cwd=project_root(), capture_output=True, text=True, check=False)
    try:
        rows = json.loads((reports / "grade.json").read_text())["scenarios"]
    except (OSError, ValueError, KeyError):
        raise LabError(f"{work.name}: the grader wrote no grade.json") from None
    found = {r["nodeid"]: r["outcome"] for r in rows}
    return {node: found.get(node, "not-run") for node in nodes}


def check(m: Mutant, work: Path, guests: tuple[str, ...] = ()) -> Mutant:
    work.mkdir(parents=True, exist_ok=True)
    m.outcomes = run_scenarios(m.killed_by, work, build_mutant(m, work), guests)
    return m


def control(nodes: list[str], work: Path, guests: tuple[str, ...] = ()) -> dict[str, str]:
    """The killing scenarios on the reference itself. A scenario that does not pass there
    proves nothing by failing on a mutant."""
    work.mkdir(parents=True, exist_ok=True)
    return run_scenarios(nodes, work, None, guests)


def scenario(nodeid: str) -> str:
    """A scenario's name without its target: `f[qemu-tcg-svm-exit-7]` -> `f[exit-7]`,
    `f[bochs-athlon64_clawhammer]` (platform and CPU model) -> `f`."""
    func, _, params = nodeid.partition("[")
    params = params.rstrip("]")
    if re.match(r"(qemu-tcg|qemu-kvm|bochs)-", params):  # a target, maybe with more after it
        rest = re.sub(r"^(qemu-tcg|qemu-kvm|bochs)-(vmx|svm)-?", "", params)
        params = "" if rest == params else rest  # platform-CPU ids (no-virt) are all target
    return f"{func}[{params}]" if params else func


def all_scenarios() -> list[str]:
    """Every scenario that runs a hypervisor (the direct baselines boot none), by name."""
    done = subprocess.run([sys.executable, "-m", "pytest", "scenarios", "--collect-only",
                           "-q", "-p", "no:cacheprovider", "--all-platforms"],
                          cwd=project_root(),
                          capture_output=True, text=True, check=False)
    nodes = [ln for ln in done.stdout.splitlines() if ln.startswith("scenarios/")]
    if not nodes:
        raise LabError(f"cannot list the scenarios: {(done.stderr or done.stdout)[-300:]}")
    return sorted({scenario(n) for n in nodes if "::test_baseline_" not in n})


def kills(chosen: list[Mutant], valid: set[str]) -> dict[str, list[str]]:
    """scenario name -> the mutants it killed (only scenarios that pass on the reference)."""
    table: dict[str, list[str]] = {}
    for m in chosen:
        for node, outcome in m.outcomes.items():
            if outcome in KILLED and node in valid:
                table.setdefault(scenario(node), []).append(m.name)
    return table
