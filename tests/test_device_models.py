"""The hypervisor's device models, unit-tested on the host (hypervisor/tests/test_*.c).

Each test program prints TAP lines (`ok N - name` / `not ok N - name`) and a plan; it is
built by `lab build` with AddressSanitizer and UBSan.
"""
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = sorted(p.stem for p in (ROOT / "hypervisor" / "tests").glob("test_*.c"))


@pytest.mark.parametrize("program", PROGRAMS)
def test_device_model_checks_all_pass(lab_outputs, program):
    done = subprocess.run([str(lab_outputs.host_test(program))], capture_output=True,
                          text=True, timeout=60)
    lines = done.stdout.splitlines()
    failed = [ln for ln in lines if ln.startswith("not ok")]
    plan = [ln for ln in lines if ln.startswith("1..")]
    assert failed == [], "\n".join(failed)
    assert plan, f"no TAP plan; stderr: {done.stderr[-500:]}"
    assert sum(ln.startswith("ok ") for ln in lines) == int(plan[0][3:]) > 0
    assert done.returncode == 0, done.stderr[-500:]
