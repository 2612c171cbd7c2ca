"""What ends a run early and what bounds it: a stalled machine is hung at once, a machine
that idles with interrupts on is not, and --timeout bounds the whole run, teardown included."""
import subprocess
import sys
import time

import pytest

from kernels import BOOTS_THEN_HALTS, BOOTS_THEN_SPINS, assemble
from lab.broken import GARBAGE
from lab.build import project_root

PLATFORMS = [("qemu-tcg", "svm"), ("bochs", "vmx")]
STARTUP = 2.0  # seconds of the command before the machine's clock starts (Python, prepare)


def lab_run(platform, backend, *args, timeout=60):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "lab", "run", "--platform", platform,
                           "--backend", backend, "--no-build", "-q", *args],
                          cwd=project_root(), capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - started


@pytest.mark.parametrize("target", PLATFORMS, ids=lambda t: f"{t[0]}-{t[1]}")
@pytest.mark.parametrize("kernel", [BOOTS_THEN_HALTS, BOOTS_THEN_SPINS], ids=["hlt", "jmp"])
def test_a_machine_stuck_with_interrupts_off_ends_as_hung(tmp_path, lab_outputs, target,
                                                          kernel):
    hv = assemble(kernel, tmp_path / "stuck.elf")
    done, _ = lab_run(*target, "--hypervisor", str(hv), "--timeout", "120")
    assert done.returncode == 1
    assert "the machine hung without an end line (no output, the CPU stuck with interrupts " \
           "off)" in done.stdout.splitlines()[-1], done.stdout[-500:]


@pytest.mark.parametrize("target", PLATFORMS, ids=lambda t: f"{t[0]}-{t[1]}")
def test_a_guest_waiting_quietly_with_interrupts_on_is_not_hung(lab_outputs, target):
    # the keyboard guest says it is ready, then waits for keys that never come
    done, _ = lab_run(*target, "--guest", "keyboard", "--timeout", "15")
    last = done.stdout.splitlines()[-1]
    assert "no end line before the deadline" in last, done.stdout[-500:]


@pytest.mark.parametrize("target", PLATFORMS, ids=lambda t: f"{t[0]}-{t[1]}")
def test_timeout_bounds_the_whole_run_teardown_included(tmp_path, lab_outputs, target):
    hv = assemble(GARBAGE, tmp_path / "garbage.elf")  # never quiet: only the limit ends it
    done, seconds = lab_run(*target, "--hypervisor", str(hv), "--timeout", "8")
    assert "no end line before the deadline" in done.stdout.splitlines()[-1]
    assert seconds <= 8 + STARTUP, f"lab run --timeout 8 took {seconds:.1f} s"
