"""`lab console` on a real terminal (a pty): the guest console, the escape, the reaping."""
import os
import sys
from pathlib import Path

import pexpect

from kernels import HANG, assemble, emulators_under

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
