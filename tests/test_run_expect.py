"""`lab run` for guests that never end: --expect and --fail texts, a wall-clock --timeout."""
import json
import subprocess
import sys

import pytest

from lab.config import RunConfig
from lab.contract import EndCode, LogSummary
from lab.errors import LabError
from lab.machine import Watch
from lab.machine.base import RunResult
from lab.runner import run


def test_watch_reads_console_and_screen_texts():
    assert Watch.parse("SWEB: />") == Watch("SWEB: />", "console")
    assert Watch.parse("screen:SWEB: />") == Watch("SWEB: />", "screen")
    assert Watch.parse("log:@lab end") == Watch("@lab end", "log")
    assert Watch.parse("a:b") == Watch("a:b", "console")  # only screen: and log: name a channel
    with pytest.raises(LabError, match="empty"):
        Watch.parse("screen:")


def _result(stop, end_code=None, expected=(), matched=None) -> RunResult:
    return RunResult(platform="qemu-tcg", accel="tcg", cpu="max", backend="svm", stop=stop,
                     end_code=end_code, end_reason=None, emulator_status=None, seconds=1.0,
                     workdir=None, command=[], summary=LogSummary(), expected=list(expected),
                     matched=matched)


def test_only_the_expected_text_passes_a_run_that_expects_one():
    want = ["'SWEB: />' on the console"]
    assert _result("expected", None, want, want[0]).passed
    assert not _result("end-line", EndCode.PASS, want).passed  # ended without showing it
    assert "before 'SWEB: />' on the console appeared" in _result("timeout", None, want).describe()
    assert not _result("failure-pattern", EndCode.PASS, (), "'panic' on the console").passed
    assert _result("end-line", EndCode.PASS).passed


def _run(lab_outputs, host_platforms, **kw):
    cfg = RunConfig(platform="qemu-tcg", backend="svm", guest="hello", **kw)
    return run(cfg, outputs=lab_outputs, platforms=host_platforms)


def test_expected_console_text_ends_the_run_as_passed(lab_outputs, host_platforms):
    r = _run(lab_outputs, host_platforms, expect=["PASS: "], timeout=60)
    assert r.stop == "expected" and r.passed, r.describe()
    assert r.matched == "'PASS: ' on the console"


def test_failure_text_ends_the_run_as_failed(lab_outputs, host_platforms):
    r = _run(lab_outputs, host_platforms, expect=["never printed"], fail=["PASS: "],
             timeout=60)
    assert r.stop == "failure-pattern" and not r.passed, r.describe()


def test_log_text_is_matched_in_the_hypervisor_log(lab_outputs, host_platforms):
    r = _run(lab_outputs, host_platforms, expect=["log:@lab virt backend=svm"], timeout=60)
    assert r.stop == "expected" and r.passed, r.describe()


@pytest.mark.parametrize("platform, backend", [("qemu-tcg", "svm"), ("bochs", "vmx")])
def test_screen_text_is_matched_on_the_vga_screen(lab_outputs, host_platforms, platform,
                                                   backend):
    cfg = RunConfig(platform=platform, backend=backend, guest="vga", timeout=120,
                    expect=["screen:LAB VGA TEST"])
    r = run(cfg, outputs=lab_outputs, platforms=host_platforms)
    assert r.stop == "expected" and r.passed, r.describe()
    assert r.screen.find("LAB VGA TEST") == (0, 0)


def test_text_missing_from_the_screen_fails_the_run(lab_outputs, host_platforms):
    cfg = RunConfig(platform="qemu-tcg", backend="svm", guest="vga", timeout=60,
                    expect=["screen:only on the console"])
    r = run(cfg, outputs=lab_outputs, platforms=host_platforms)
    assert not r.passed and "before 'only on the console' on the screen appeared" in \
        r.describe(), r.describe()


def test_timeout_is_wall_clock_seconds_not_scaled(lab_outputs, host_platforms):
    # hello ends by itself in about a second; a text it never prints keeps the run waiting
    # until the hypervisor's end line, so use a guest that never ends and is never stalled:
    # the keyboard guest waits for keys with interrupts on.
    cfg = RunConfig(platform="qemu-tcg", backend="svm", guest="keyboard", timeout=6,
                    expect=["never printed"])
    r = run(cfg, outputs=lab_outputs, platforms=host_platforms)
    assert r.stop == "timeout" and not r.passed
    # all of it within the 6 s, teardown included (the wait keeps a quarter for it);
    # qemu-tcg's step scaling (x3) would give 18 s
    assert 6 * 3 / 4 <= r.seconds <= 6
    assert json.loads((r.workdir / "run.json").read_text())["expected"] == \
        ["'never printed' on the console"]


def test_lab_run_exit_status_follows_the_expected_text(lab_outputs):
    done = subprocess.run([sys.executable, "-m", "lab.cli", "run", "--platform", "qemu-tcg",
                           "--guest", "hello", "--expect", "PASS: ", "-q", "--no-build"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "saw 'PASS: ' on the console" in done.stdout


@pytest.mark.parametrize("platform, backend", [("qemu-tcg", "svm"), ("bochs", "vmx")])
def test_a_run_ended_on_a_text_still_reports_its_exit_counts(lab_outputs, host_platforms,
                                                             platform, backend):
    """TeachOS idles at its prompt (HLT) and never ends: the lab asks for the counts on the
    log channel before it stops the machine, and they are in the result and run.json."""
    cfg = RunConfig(platform=platform, backend=backend, guest_kernel=lab_outputs.os_kernel,
                    guest_disk=lab_outputs.os_disk, expect=["lab$ "], timeout=120)
    r = run(cfg, outputs=lab_outputs, platforms=host_platforms)
    assert r.passed, r.describe()
    exits = r.summary.exits
    assert exits["io"] > 100 and exits["hlt"] >= 1, exits  # its disk and console, its idle
    reasons = {k: v for k, v in exits.items() if k != "total" and not k.startswith("io-")}
    assert exits["total"] == sum(reasons.values())
    by_port = {k: v for k, v in exits.items() if k.startswith("io-")}
    assert sum(by_port.values()) == exits["io"]  # TeachOS uses ISA ports only
    assert by_port["io-0x1f7"] > 0  # its ATA status reads
    assert json.loads((r.workdir / "run.json").read_text())["exits"] == exits
    assert r.summary.end_code is None  # asked, not ended
