"""The grader's one prerequisite: the hypervisor boots on a target (the m1 boot scenario).

Every scenario that boots the hypervisor first asks whether it boots there at all, as m1's
test_boots_and_logs_on_every_platform checks it: the contract's boot marker on the log
channel, then, with no guest, the end line of a passed self-check (CONTRACT.md 4). The
first scenario to ask
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
from .contract import EndCode
from .errors import InfraError, LabError
from .machine import ConsoleMismatch
from .runner import prepare

BOOT_MARKER = r"@lab boot name=\S+"
# The m1 boot scenario's deadlines too, in seconds scaled by the platform (x3 TCG, x4 Bochs):
# to the boot marker 18 s and 24 s, then to the end line 30 s and 40 s. Measured 2026-12-03,
# the reference boots and ends its self-check in 0.8 s on QEMU TCG and 4.6 s on Bochs,
# emulator start included: the margin is at least 5x. A hypervisor that prints forever and
# never boots waits these out (lab bench grading).
BOOT_DEADLINE = 6
RUN_DEADLINE = 10


def _key(cfg: RunConfig) -> str:
    hv = cfg.hypervisor.read_bytes() if cfg.hypervisor else b"reference"
    return hashlib.sha256(hv + f"{cfg.platform}/{cfg.backend}".encode()).hexdigest()[:16]


class Claim:
    """The boot scenario's own run answers for its target: it holds the answer's lock while
    it runs (the others wait, instead of booting the same thing a second time meanwhile),
    then gives its outcome as the answer."""

    def __init__(self, lock, answer: Path) -> None:
        self._lock, self._answer = lock, answer

    def answer(self, problem: str | None) -> None:
        self._answer.write_text(json.dumps({"problem": problem}) + "\n")
        self.release()

    def release(self) -> None:
        self._lock.close()  # closing the file drops its flock


def _files(cfg: RunConfig, folder: Path) -> tuple[Path, Path]:
    """The answer's lock and the answer for `cfg`'s hypervisor and target."""
    folder.mkdir(parents=True, exist_ok=True)
    key = _key(cfg)
    return folder / f"{key}.lock", folder / f"{key}.json"


def _claim(lock_path: Path, answer: Path) -> Claim | None:
    lock = open(lock_path, "w")  # noqa: SIM115 (Claim closes it)
    fcntl.flock(lock, fcntl.LOCK_EX)
    if answer.is_file():
        lock.close()
        return None
    return Claim(lock, answer)


def claim(cfg: RunConfig, folder: Path) -> Claim | None:
    """The answer's lock for `cfg`'s target, unless it is answered already."""
    return _claim(*_files(cfg, folder))


def boot_problem(cfg: RunConfig, folder: Path, **prepare_args) -> str | None:
    """Why the hypervisor of `cfg` does not boot on its target, or None when it does. Asked
    once per hypervisor and target in `folder`; the others wait for that answer."""
    lock_path, answer = _files(cfg, folder)
    c = _claim(lock_path, answer)
    if c is not None:
        try:
            problem = _probe(RunConfig(platform=cfg.platform, backend=cfg.backend,
                                       hypervisor=cfg.hypervisor,
                                       timeout_scale=cfg.timeout_scale), prepare_args)
        except BaseException:
            c.release()  # no answer: the next to ask probes again
            raise
        c.answer(problem)
    return json.loads(answer.read_text())["problem"]


def _probe(cfg: RunConfig, prepare_args: dict) -> str | None:
    try:
        prep = prepare(cfg, label="prerequisite", **prepare_args)
    except LabError:
        return None  # the lab's side: each scenario reports it as its own infra-error
    try:
        with prep.boot() as m:
            m.wait_for(BOOT_MARKER, BOOT_DEADLINE, channel="log")
            r = m.wait_end(RUN_DEADLINE)
    except InfraError:
        return None
    except (LabError, ConsoleMismatch) as e:  # no marker: hung, stopped, reset or deadline
        return f"{e} (the boot's files: {prep.workdir})"
    if r.end_code != EndCode.PASS:
        return f"its self-check with no guest {r.describe()} (the boot's files: {prep.workdir})"
    shutil.rmtree(prep.workdir, ignore_errors=True)
    return None
