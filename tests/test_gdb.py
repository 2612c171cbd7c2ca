"""`lab run --gdb`: QEMU waits for gdb, and the script it writes loads the symbols."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]


def test_gdb_script_stops_at_hv_main_then_the_run_completes(lab_outputs):
    child = pexpect.spawn(sys.executable, ["-m", "lab.cli", "run", "--platform", "qemu-tcg",
                                           "--no-build", "-q", "--gdb"],
                          cwd=ROOT, env=dict(os.environ), encoding="utf-8", timeout=60)
    try:
        child.expect(r"waiting for gdb: gdb -x (\S+)")
        script = child.match.group(1)
        gdb = subprocess.run(["gdb", "-batch", "-nx", "-x", script, "-ex", "continue",
                              "-ex", "info symbol $pc", "-ex", "detach"],
                             capture_output=True, text=True, timeout=120)
        assert re.search(r"^hv_main(\s|\+)", gdb.stdout, re.M), gdb.stdout + gdb.stderr
        child.expect(r"ended with code 0 \(pass\)")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
