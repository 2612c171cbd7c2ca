"""A team's hypervisor for grading: an ELF, or a team folder that says how to build it.

A team folder holds `lab-team.yaml`:
    build: make            # a shell command run in the folder
    hypervisor: build/hv.elf
    sweb: sweb             # optional: the team's SWEB (source tree or build folder)
    backend: vmx           # optional: vmx, svm or both (the default); graded on these alone
    feature: dedup         # optional: the feature of m5 and m6 (lab.features' catalogue)
    feature_tests: tests/feature.py  # a feature outside the catalogue: the team's scenarios
Paths are relative to the folder.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ConfigError, LabError
from .features import Choice, choose
from .multiboot import check_multiboot
from .targets import DECLARED

BUILD_TIMEOUT = 600
KEYS = ("build", "hypervisor", "sweb", "backend", "feature", "feature_tests")


@dataclass
class Team:
    hypervisor: Path
    sweb: Path | None = None  # the SWEB its lab-team.yaml names, if any
    backend: str | None = None  # the backend(s) it declares, if a team file says
    feature: Choice | None = None  # the feature it bids for, if a team file says


def _spec(path: Path) -> dict:
    spec_file = path / "lab-team.yaml"
    try:
        spec = yaml.safe_load(spec_file.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} is a folder without lab-team.yaml "
                          "(keys: build, hypervisor, sweb)") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{spec_file}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("hypervisor"), str):
        raise ConfigError(f"{spec_file}: needs a 'hypervisor' path (and usually 'build')")
    unknown = [k for k in spec if k not in KEYS]
    if unknown:
        raise ConfigError(f"{spec_file}: unknown key '{unknown[0]}' (known: {', '.join(KEYS)})")
    for key in ("build", "sweb"):
        if key in spec and not isinstance(spec[key], str):
            what = "a shell command" if key == "build" else "a path"
            raise ConfigError(f"{spec_file}: '{key}' must be {what}")
    if "feature_tests" in spec and "feature" not in spec:
        raise ConfigError(f"{spec_file}: feature_tests needs feature: NAME beside it")
    if "feature" in spec:  # checked before any build: a typo costs no build time
        spec["feature"] = choose(spec["feature"], spec.get("feature_tests"),
                                 where=str(spec_file), base=path)
    if spec.get("backend", "both") not in DECLARED:
        raise ConfigError(f"{spec_file}: backend must be one of {', '.join(DECLARED)}, "
                          f"not {spec['backend']!r}")
    return spec


def team(path: Path) -> Team:
    """The team's hypervisor (built first when it is a team folder) and SWEB, if it names one."""
    path = path.expanduser().resolve()
    sweb = backend = feature = None
    if path.is_dir():
        spec = _spec(path)
        command = spec.get("build")
        if command is not None:
            try:
                done = subprocess.run(command, shell=True, cwd=path, timeout=BUILD_TIMEOUT,
                                      stdin=subprocess.DEVNULL, check=False)
            except subprocess.TimeoutExpired:
                raise LabError(f"the team build `{command}` took over {BUILD_TIMEOUT} s") from None
            if done.returncode != 0:
                raise LabError(f"the team build `{command}` failed with status "
                               f"{done.returncode}; its output is above")
        if "sweb" in spec:
            sweb = path / spec["sweb"]
            if not sweb.exists():
                raise ConfigError(f"{path / 'lab-team.yaml'}: sweb {sweb} does not exist")
        backend, feature = spec.get("backend"), spec.get("feature")
        path = path / spec["hypervisor"]
    check_multiboot(path, "hypervisor", need_mmap=True)
    return Team(hypervisor=path, sweb=sweb, backend=backend, feature=feature)


def team_hypervisor(path: Path) -> Path:
    return team(path).hypervisor
