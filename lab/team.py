"""A team's hypervisor for grading: an ELF, or a team folder that says how to build it.

A team folder holds `lab-team.yaml`:
    build: make            # a shell command run in the folder
    hypervisor: build/hv.elf
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from .errors import ConfigError, LabError
from .multiboot import check_multiboot

BUILD_TIMEOUT = 600


def team_hypervisor(path: Path) -> Path:
    path = path.expanduser().resolve()
    if path.is_dir():
        spec_file = path / "lab-team.yaml"
        try:
            spec = yaml.safe_load(spec_file.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path} is a folder without lab-team.yaml "
                              "(keys: build, hypervisor)") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{spec_file}: invalid YAML ({getattr(e, 'problem', e)})") from None
        if not isinstance(spec, dict) or not isinstance(spec.get("hypervisor"), str):
            raise ConfigError(f"{spec_file}: needs a 'hypervisor' path (and usually 'build')")
        command = spec.get("build")
        if command is not None:
            if not isinstance(command, str):
                raise ConfigError(f"{spec_file}: 'build' must be a shell command")
            try:
                done = subprocess.run(command, shell=True, cwd=path, timeout=BUILD_TIMEOUT,
                                      stdin=subprocess.DEVNULL, check=False)
            except subprocess.TimeoutExpired:
                raise LabError(f"the team build `{command}` took over {BUILD_TIMEOUT} s") from None
            if done.returncode != 0:
                raise LabError(f"the team build `{command}` failed with status "
                               f"{done.returncode}; its output is above")
        path = path / spec["hypervisor"]
    check_multiboot(path, "hypervisor", need_mmap=True)
    return path
