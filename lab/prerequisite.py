"""The grader's one prerequisite: the hypervisor boots on a target.

Every scenario that boots the hypervisor first asks whether it boots there at all: the
contract's boot marker on the log channel within the boot deadline. The first scenario to ask
boots it once and leaves the answer in a folder all pytest-xdist workers share; every other
scenario on that target reads it, and when the answer is no, fails at once naming the
prerequisite instead of waiting out its own deadlines.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from pathlib import Path

from .config import RunConfig
from .errors import InfraError, LabError
from .runner import prepare

BOOT_MARKER = r"@lab boot name=\S+"
BOOT_DEADLINE = 20  # seconds, scaled by the platform: as the m1 boot scenario


def _key(cfg: RunConfig) -> str:
    hv = cfg.hypervisor.read_bytes() if cfg.hypervisor else b"reference"
    return hashlib.sha256(hv + f"{cfg.platform}/{cfg.backend}".encode()).hexdigest()[:16]


def boot_problem(cfg: RunConfig, folder: Path, **prepare_args) -> str | None:
    """Why the hypervisor of `cfg` does not boot on its target, or None when it does. Asked
    once per hypervisor and target in `folder`; the others wait for that answer."""
    folder.mkdir(parents=True, exist_ok=True)
    answer = folder / f"{_key(cfg)}.json"
    with open(folder / f"{_key(cfg)}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if answer.is_file():
            return json.loads(answer.read_text())["problem"]
        problem = _probe(RunConfig(platform=cfg.platform, backend=cfg.backend,
                                   hypervisor=cfg.hypervisor, timeout_scale=cfg.timeout_scale),
                         prepare_args)
        answer.write_text(json.dumps({"problem": problem}) + "\n")
        return problem


def _probe(cfg: RunConfig, prepare_args: dict) -> str | None:
    try:
        prep = prepare(cfg, label="prerequisite", **prepare_args)
    except LabError:
        return None  # the lab's side: each scenario reports it as its own infra-error
    try:
        with prep.machine() as m:
            m.start(timeout=prep.spec.scaled(10))
            m.wait_for(BOOT_MARKER, BOOT_DEADLINE, channel="log")
    except InfraError:
        return None
    except LabError as e:  # no marker: hung, stopped, reset or deadline
        return f"{e} (the boot's files: {prep.workdir})"
    shutil.rmtree(prep.workdir, ignore_errors=True)
    return None
