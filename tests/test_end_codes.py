"""The contract's end codes that no scenario produces (docs/CONTRACT.md §4), the watchdog
staying quiet for a guest that exits, and `lab run`'s exit status."""
import subprocess
import sys

import pytest

from lab.build import project_root
from lab.config import RunConfig
from lab.contract import EndCode
from lab.runner import run


def _run(lab_outputs, host_platforms, **kw):
    cfg = RunConfig(platform="qemu-tcg", backend="svm", timeout=60, **kw)
    return run(cfg, outputs=lab_outputs, platforms=host_platforms)


@pytest.mark.parametrize("fault, exception", [("ud2", "exception 6 (#UD"),
                                              ("pf", "exception 14 (#PF")])
def test_a_fault_in_the_hypervisor_itself_ends_with_code_2_panic(lab_outputs, host_platforms,
                                                                 fault, exception):
    # selftest= is the reference's own word (hypervisor/README.md): a deliberate fault on
    # the host side, to show the panic path works
    r = _run(lab_outputs, host_platforms, guest="hello", append=f"selftest={fault}")
    assert (r.end_code, r.end_reason) == (EndCode.PANIC, "panic"), r.describe()
    log = (r.workdir / "hypervisor.log").read_text()
    assert f"panic: unexpected {exception}" in log
    assert "PASS" not in (r.workdir / "console.log").read_text()  # the guest never ran


@pytest.mark.parametrize("word", ["watchdog=soon", "backend=arm", "guest_mem=0", "guest_mem=1"])
def test_a_bad_command_line_value_ends_with_code_6_config(lab_outputs, host_platforms, word):
    r = _run(lab_outputs, host_platforms, guest="hello", append=word)
    assert (r.end_code, r.end_reason) == (EndCode.CONFIG, "config"), r.describe()
    assert word.split("=")[0] in (r.workdir / "hypervisor.log").read_text()


def test_a_guest_that_ends_with_a_failure_code_is_code_1(lab_outputs, host_platforms):
    r = _run(lab_outputs, host_platforms, guest="hypercall", guest_args="exit=7")
    assert (r.end_code, r.end_reason) == (EndCode.FAIL, "fail"), r.describe()


def test_the_watchdog_stays_quiet_for_a_guest_that_keeps_exiting(lab_outputs, host_platforms):
    # The timer guest spins through two measurements of 500 ms of TSC time each, four times
    # the limit, but exits (EOI to port 0x20) at every tick, 10 ms apart at most. The limit is
    # wall-clock time, so it leaves room for a busy host descheduling QEMU: 50 ms once fired
    # on a CI run with two workers.
    r = _run(lab_outputs, host_platforms, guest="timer", append="watchdog=250")
    assert r.end_code == EndCode.PASS, r.describe()
    console = (r.workdir / "console.log").read_text()
    assert "timer 100 Hz: measured" in console and "timer 1000 Hz: measured" in console


@pytest.mark.parametrize("args, status, last", [
    (["--guest", "hello"], 0, "ended with code 0 (pass)"),
    (["--guest", "hypercall", "--guest-args", "exit=7"], 1, "ended with code 1 (fail)"),
])
def test_lab_run_exits_0_only_when_the_run_passed(lab_outputs, args, status, last):
    done = subprocess.run([sys.executable, "-m", "lab", "run", "--platform", "qemu-tcg",
                           "--backend", "svm", "--no-build", "-q", "--timeout", "60", *args],
                          cwd=project_root(), capture_output=True, text=True, timeout=120)
    assert done.returncode == status, done.stdout[-500:] + done.stderr[-500:]
    assert last in done.stdout.strip().splitlines()[-1]
