"""`lab console` on a real terminal (a pty): the guest console, the escape, the reaping."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from kernels import (
    GARBAGE,
    HANG,
    assemble,
    emulators_under,
    kill_emulators_under,
    wait_for_emulator,
)

ROOT = Path(__file__).resolve().parents[1]


def test_console_leaves_on_ctrl_bracket_q_and_reaps_the_emulator(tmp_path):
    hv = assemble(HANG, tmp_path / "hang.elf")
    env = dict(os.environ, LAB_BUILD_DIR=str(tmp_path / "build"))
    child = pexpect.spawn(sys.executable, ["-m", "lab.cli", "console", "--platform", "qemu-tcg",
                                           "--hypervisor", str(hv), "--no-build"],
                          cwd=ROOT, env=env, encoding="utf-8", timeout=60)
    child.expect("Ctrl-\\] q leaves")
    child.send("\x1dl")  # Ctrl-] l: the hypervisor log (empty for this one)
    child.expect("--- hypervisor log ---")
    child.send("\x1dq")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "no end line" in child.before
    assert emulators_under(tmp_path) == []


def _lab(tmp_path: Path, *args: str) -> tuple[list[str], dict]:
    # never ends, and never falls quiet (a halted one is found hung within seconds, and a
    # slow host once let that happen before the signal came): only the signal stops it
    hv = assemble(GARBAGE, tmp_path / "garbage.elf")
    env = dict(os.environ, LAB_BUILD_DIR=str(tmp_path / "build"))
    return [sys.executable, "-m", "lab", *args, "--hypervisor", str(hv), "--no-build"], env


@pytest.mark.parametrize("platform", ["qemu-tcg", "bochs"])
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_lab_run_stopped_by_a_signal_reaps_its_emulator(tmp_path, platform, how):
    cmd, env = _lab(tmp_path, "run", "--platform", platform, "--timeout", "300")
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for_emulator(tmp_path, p, 60)
        p.send_signal(how)
        _, err = p.communicate(timeout=30)
        assert p.returncode == 130, err[-500:]
        assert "lab: interrupted; emulators stopped" in err
        assert emulators_under(tmp_path) == []
    finally:
        kill_emulators_under(tmp_path)
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_lab_console_stopped_by_a_signal_reaps_its_emulator(tmp_path, how):
    # in raw mode Ctrl-C is a key for the guest; a console ends by its escape, by SIGTERM,
    # or by SIGHUP when its terminal goes away
    cmd, env = _lab(tmp_path, "console", "--platform", "qemu-tcg")
    child = pexpect.spawn(cmd[0], cmd[1:], cwd=ROOT, env=env, encoding="utf-8", timeout=60)
    try:
        child.expect("Ctrl-\\] q leaves")
        assert emulators_under(tmp_path) != []
        child.kill(how)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 130, child.before
        assert emulators_under(tmp_path) == []
    finally:
        kill_emulators_under(tmp_path)
        child.close(force=True)
