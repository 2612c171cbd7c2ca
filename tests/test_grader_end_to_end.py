"""The grader run as teams and graders run it, on deliberately broken hypervisors.

These start emulators (through a nested pytest), so they take some seconds each.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from kernels import (
    BOOTS_THEN_HALTS,
    BOOTS_THEN_SPINS,
    GARBAGE,
    HANG,
    TRIPLE_FAULT,
    assemble,
    emulators_under,
    kill_emulators_under,
    wait_for_emulator,
)

ROOT = Path(__file__).resolve().parents[1]


def grader(tmp: Path, hypervisor: Path | None, *args: str) -> subprocess.Popen:
    """pytest on the scenarios (all of them, unless `args` names some), its run folders its
    own (the built tree is shared); against `hypervisor`, or the reference when it is None."""
    env = dict(os.environ, LAB_RUNS_DIR=str(tmp / "runs"))
    paths = [] if any(a.startswith("scenarios/") for a in args) else ["scenarios"]
    team = ["--hypervisor", str(hypervisor)] if hypervisor is not None else []
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider", *team,
         "--report-dir", str(tmp / "reports"), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


def test_triple_faulting_hypervisor_gets_bundles_and_a_correct_table(tmp_path):
    hv = assemble(TRIPLE_FAULT, tmp_path / "broken.elf")
    p = grader(tmp_path, hv, "-n", "2", "-k", "builds or boots_and_logs")
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 1, out
    # out of the course's 5 points of m1, whatever ran; each backend on its grading platform
    assert ("m1 Structure setup: builds, boots, enables      1.00     5.00  "
            "1 passed, 2 failed") in out, out
    report = json.loads((tmp_path / "reports" / "grade.json").read_text())
    failed = [s for s in report["scenarios"] if s["outcome"] == "failed"]
    assert {(s["platform"], s["backend"]) for s in failed} == {
        ("bochs", "vmx"), ("qemu-tcg", "svm")}
    for s in failed:
        bundle = Path(s["bundle"])
        for name in ("command.txt", "console.log", "hypervisor.log", "registers.txt",
                     "reproduce.txt"):
            assert (bundle / name).is_file(), f"{bundle} lacks {name}"
        assert "EIP=00100007" in (bundle / "registers.txt").read_text().replace(
            "RIP=0000000000100007", "EIP=00100007"), s["nodeid"]
        assert f"--hypervisor {hv}" in (bundle / "reproduce.txt").read_text()
        if s["platform"] == "qemu-tcg":  # QEMU keeps the machine: screen as text and PNG
            assert (bundle / "screen.txt").is_file() and (bundle / "screen.png").is_file()
            assert (bundle / "qmp-events.jsonl").read_text().count('"guest-reset"') == 1
    html = (tmp_path / "reports" / "grade.html").read_text()
    assert "data:image/png;base64," in html
    assert (tmp_path / "reports" / "junit.xml").read_text().count("<failure") == 2
    assert emulators_under(tmp_path) == []


def _outcomes(tmp_path) -> dict[str, tuple[str, str]]:
    report = json.loads((tmp_path / "reports" / "grade.json").read_text())
    return {s["nodeid"].split("::")[1]: (s["outcome"], s["message"])
            for s in report["scenarios"]}


@pytest.mark.parametrize("kernel, boot_outcome, why", [
    (HANG, "hung", "log: the machine hung before '@lab boot"),
    (TRIPLE_FAULT, "failed", "log: the machine stopped"),
], ids=["hangs", "triple-faults"])
def test_a_hypervisor_that_never_boots_fails_the_rest_on_the_prerequisite(tmp_path, kernel,
                                                                           boot_outcome, why):
    hv = assemble(kernel, tmp_path / "broken.elf")
    p = grader(tmp_path, hv, "-k", "boots_and_logs or virtualization_enabled")
    out, _ = p.communicate(timeout=600)
    got = _outcomes(tmp_path)
    for target in ("bochs-vmx", "qemu-tcg-svm"):
        # the boot scenario itself runs in full and says what it saw
        outcome, message = got[f"test_boots_and_logs_on_every_platform[{target}]"]
        assert outcome == boot_outcome, out
        outcome, message = got[f"test_virtualization_enabled_with_its_features[{target}]"]
        platform, backend = target.rsplit("-", 1)
        assert outcome == "failed", out
        assert message.startswith("prerequisite failed: the hypervisor does not boot on "
                                  f"{platform}/{backend} (test_boots_and_logs_on_every_"
                                  "platform): "), message
    hung = [m for _, m in got.values() if why in m]
    assert hung, out
    assert emulators_under(tmp_path) == []


@pytest.mark.parametrize("kernel", [BOOTS_THEN_HALTS, BOOTS_THEN_SPINS], ids=["hlt", "jmp"])
def test_a_hypervisor_that_boots_then_stops_is_hung_not_waited_for(tmp_path, kernel):
    hv = assemble(kernel, tmp_path / "stops.elf")
    p = grader(tmp_path, hv, "-k", "boots_and_logs or virtualization_enabled")
    out, _ = p.communicate(timeout=600)
    got = _outcomes(tmp_path)
    assert len(got) == 4, out
    for name, (outcome, message) in got.items():
        # the boot scenario sees the stall itself; the others fail on it as a prerequisite
        prerequisite = not name.startswith("test_boots_and_logs")
        assert outcome == ("failed" if prerequisite else "hung"), f"{name}: {outcome} {message}"
        assert message.startswith("prerequisite failed") == prerequisite, message
        assert "the machine hung without an end line (no output, the CPU stuck with " \
               "interrupts off)" in message, message
    assert "m1 Structure setup: builds, boots, enables      0.00     5.00  2 failed, 2 hung" \
        in out, out


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_no_emulator_survives_an_interrupted_grader(tmp_path, how):
    hv = assemble(HANG, tmp_path / "hang.elf")
    p = grader(tmp_path, hv, "-n", "2", "-k", "boots_and_logs")
    try:
        wait_for_emulator(tmp_path, p, 120)
        os.killpg(p.pid, how) if how == signal.SIGKILL else p.send_signal(how)
        p.communicate(timeout=60)
        # The lab reaps on SIGINT; on SIGKILL the kernel kills the emulators (PDEATHSIG).
        deadline = time.monotonic() + 10
        while emulators_under(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert emulators_under(tmp_path) == []
    finally:
        kill_emulators_under(tmp_path)
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)


def test_lab_grade_grades_a_team_folder_and_writes_all_three_reports(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    assemble(TRIPLE_FAULT, team / "src.elf")
    (team / "lab-team.yaml").write_text("build: cp src.elf hv.elf\nhypervisor: hv.elf\n")
    env = dict(os.environ, LAB_RUNS_DIR=str(tmp_path / "runs"))
    done = subprocess.run([sys.executable, "-m", "lab.cli", "grade", "--hypervisor", str(team),
                           "-m", "m1", "--report-dir", str(tmp_path / "reports")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout[-2000:]
    # The table's m1 row against the per-scenario outcomes (what is possible depends on
    # which platforms this host has: not hard-coded). A triple-faulting hypervisor earns
    # only the point that needs no boot: it builds as a Multiboot kernel.
    rows = json.loads((tmp_path / "reports" / "grade.json").read_text())["scenarios"]
    m1 = [r for r in rows if r["milestone"] == "m1"]
    earned = sum(r["earned"] for r in m1)
    possible = sum(r["points"] for r in m1 if r["outcome"] != "not-gradable")
    assert earned == 1.0
    assert re.search(rf"^m1 Structure setup.*\s{earned:.2f}\s+{possible:.2f}\s", done.stdout,
                     re.M), done.stdout
    for name in ("grade.json", "grade.html", "junit.xml"):
        assert (tmp_path / "reports" / name).is_file()
    assert (team / "hv.elf").is_file()  # the team's build command ran
    assert emulators_under(tmp_path) == []


def test_keep_alive_holds_a_failed_machine_until_enter(tmp_path):
    hv = assemble(TRIPLE_FAULT, tmp_path / "broken.elf")
    env = dict(os.environ, LAB_RUNS_DIR=str(tmp_path / "runs"))
    child = pexpect.spawn(sys.executable, [
        "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-x", "-s", "--keep-alive",
        "-k", "boots_and_logs and qemu-tcg", "--hypervisor", str(hv),
        "--report-dir", str(tmp_path / "reports")], cwd=ROOT, env=env, encoding="utf-8",
        timeout=300)
    try:
        child.expect("machine kept alive for inspection")
        child.expect("press Enter to end it")
        assert len(emulators_under(tmp_path)) == 1
        child.sendline("")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert emulators_under(tmp_path) == []


def test_a_setup_error_of_the_lab_is_infra_error_not_the_teams_failure(tmp_path):
    """A qemu-img that fails (the lab's tool, not the team's hypervisor) must not cost points."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "qemu-img").write_text("#!/bin/sh\necho 'qemu-img: broken on purpose' >&2\nexit 1\n")
    (shim / "qemu-img").chmod(0o755)
    env = dict(os.environ, PATH=f"{shim}:{os.environ['PATH']}")
    node = "scenarios/test_m4_guest_os.py::test_large_file_checksum_matches_the_host[qemu-tcg-svm]"
    done = subprocess.run([sys.executable, "-m", "pytest", node, "-p", "no:cacheprovider",
                           "--report-dir", str(tmp_path / "reports")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    results = json.loads((tmp_path / "reports" / "grade.json").read_text())["scenarios"]
    (outcome,) = [r for r in results if r["nodeid"] == node]
    assert outcome["outcome"] == "infra-error", done.stdout[-2000:]
    assert "qemu-img could not make an overlay" in outcome["message"]
    assert outcome["earned"] == 0 and emulators_under(tmp_path) == []


def test_timeout_scale_multiplies_each_step_deadline(tmp_path):
    # never logs a marker and never goes quiet: the boot step waits out its deadline
    hv = assemble(GARBAGE, tmp_path / "garbage.elf")
    p = grader(tmp_path, hv, "-k", "boots_and_logs and qemu-tcg", "--timeout-scale", "0.5")
    out, _ = p.communicate(timeout=300)
    (row,) = json.loads((tmp_path / "reports" / "grade.json").read_text())["scenarios"]
    # BOOT_DEADLINE 6 s, times 3 for TCG, times 0.5: 9 s
    assert row["outcome"] == "timeout" and "did not appear within 9 s" in row["message"], out


def test_keep_runs_keeps_the_run_folders_of_passing_scenarios(tmp_path):
    runs = tmp_path / "runs"
    for keep in (False, True):
        p = grader(tmp_path, None, "scenarios/test_m2_guests.py", "-k", "hello and qemu-tcg",
                   *(["--keep-runs"] if keep else []))
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
        kept = sorted(runs.glob("*-qemu-tcg-svm-hello-*")) if runs.is_dir() else []
        if keep:
            assert len(kept) == 1 and (kept[0] / "run.json").is_file(), kept
        else:
            assert kept == [], "a passing scenario's run folder was kept without --keep-runs"
