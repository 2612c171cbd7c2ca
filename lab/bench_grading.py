"""`lab bench grading`: a broken hypervisor must be graded no slower than the reference.

In one run, `lab grade` grades the reference and then each of lab.broken's hypervisors (never
boots, boots then halts or spins, triple-faults, prints garbage) with the same options, and
the wall-clock seconds of each are compared with the reference's: the goal is a ratio of at
most 1000 per mille. Seconds vary with the machine's load; the ratios are what is compared.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .broken import BROKEN, assemble

Say = Callable[[str], None]


def _grade(name: str, hypervisor: Path | None, folder: Path, options: list[str],
           say: Say) -> dict[str, int]:
    reports = folder / name
    cmd = [sys.executable, "-m", "lab", "grade", "--report-dir", str(reports), *options]
    if hypervisor is not None:
        cmd += ["--hypervisor", str(hypervisor)]
    reports.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(folder / f"{name}.log", "w") as log:
        subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       check=False)
    seconds = time.monotonic() - started
    try:
        grade = json.loads((reports / "grade.json").read_text())
        earned = sum(t["earned"] for t in grade["totals"].values())
    except (OSError, ValueError, KeyError):
        earned = -1  # no grade at all: the log says why
    say(f"{name}: {seconds:.0f} s, {earned:.2f} points (log: {folder / f'{name}.log'})")
    return {"seconds": round(seconds), "centipoints": round(earned * 100)}


def grading(folder: Path, options: list[str], say: Say) -> dict[str, dict[str, int]]:
    """Seconds and points of each graded hypervisor, and each broken one's ratio."""
    folder.mkdir(parents=True, exist_ok=True)
    results = {"reference": _grade("reference", None, folder, options, say)}
    reference = max(results["reference"]["seconds"], 1)
    for name, source in BROKEN.items():
        hv = assemble(source, folder / f"{name}.elf")
        figures = _grade(name, hv, folder, options, say)
        figures["grading_ratio_permille"] = round(1000 * figures["seconds"] / reference)
        results[name] = figures
    return results
