"""The `lab` command as a user runs it: one-line errors, exit codes."""
import os
import subprocess
import sys

import pytest


def lab(tmp_path, *args):
    env = dict(os.environ, LAB_BUILD_DIR=str(tmp_path / "build"))
    return subprocess.run([sys.executable, "-m", "lab.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


@pytest.mark.parametrize("args, words", [
    (["--platform", "nosuch"], "unknown platform 'nosuch'"),
    (["--backend", "nosuch"], "unknown backend 'nosuch'"),
    (["--hypervisor", "/nonexistent"], "does not exist"),
    (["--hypervisor", "notes.txt"], "not a Multiboot kernel"),
    (["--profile", "bad.yaml"], "profile bad.yaml: expected"),
    (["--sweb", "/nonexistent"], "SWEB path /nonexistent does not exist"),
    (["--sweb", "notes.txt"], "is not a folder: give a SWEB source tree"),
    (["--sweb", ".", "--guest", "hello"], "sweb gives the guest kernel and disk"),
    (["--guest", "hello", "--guest-module", "/nonexistent/env"],
     "guest module /nonexistent/env does not exist or is not a file"),
], ids=["platform", "backend", "missing-hypervisor", "text-hypervisor", "malformed-profile",
        "missing-sweb", "file-as-sweb", "sweb-and-guest", "missing-guest-module"])
def test_run_bad_input_is_one_line_error(tmp_path, args, words):
    (tmp_path / "notes.txt").write_text("not a kernel\n")
    (tmp_path / "bad.yaml").write_text("memory: [128\n")
    done = lab(tmp_path, "run", *args, "--no-build")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lab: error:")
    assert words in lines[0]


def test_platforms_lists_all_three(tmp_path):
    done = lab(tmp_path, "platforms")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert names == ["qemu-kvm", "qemu-tcg", "bochs"]


@pytest.mark.parametrize("outcomes, pytest_status, status", [
    (["passed", "passed"], 0, 0),
    (["passed", "failed"], 1, 1),
    (["passed", "skipped"], 0, 3),  # incomplete: the total is not the grade
    (["failed", "skipped"], 1, 3),  # incomplete wins over failed
    (None, 4, 4),  # pytest wrote no grade (a usage error): its own status
])
def test_lab_grade_exit_status_says_when_the_grade_is_incomplete(tmp_path, monkeypatch,
                                                                  capsys, outcomes,
                                                                  pytest_status, status):
    import json

    from lab import cli

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "grade.json").write_text('{"scenarios": []}')  # an older grade: never read

    def fake_pytest(args, cwd):
        if outcomes is not None:  # the grader's own words on why the total is not a grade
            rows = [{"outcome": o, "message": "no bochs here (install bochs)"} for o in outcomes]
            why = ([f"INCOMPLETE: {outcomes.count('skipped')} scenarios skipped, so this total "
                    "is not the grade; no bochs here (install bochs)"]
                   if "skipped" in outcomes else [])
            (reports / "grade.json").write_text(json.dumps({"scenarios": rows,
                                                            "not_a_grade": why}))
        return pytest_status

    monkeypatch.setattr(cli.subprocess, "call", fake_pytest)
    a = cli.parser().parse_args(["grade", "--report-dir", str(reports)])
    assert cli.cmd_grade(a) == status
    err = capsys.readouterr().err
    assert ("lab: INCOMPLETE: 1 scenarios skipped, so this total is not the grade; no bochs "
            "here" in err) == (status == 3)


def test_lab_grade_hands_pytest_its_workers_and_the_kvm_unit_tests(tmp_path, monkeypatch):
    from lab import cli

    seen = []
    monkeypatch.setattr(cli.subprocess, "call", lambda args, cwd: seen.append(args) or 4)
    a = cli.parser().parse_args(["grade", "--report-dir", str(tmp_path),
                                 "--kvm-unit-tests", str(tmp_path / "kut.tar.gz")])
    cli.cmd_grade(a)
    assert f"--kvm-unit-tests={tmp_path / 'kut.tar.gz'}" in seen[0]
    workers = cli.DEFAULT_JOBS
    given = seen[0][seen[0].index("-n") + 1] if "-n" in seen[0] else "1"
    assert given == workers  # the machine's cores, at most MAX_DEFAULT_JOBS
    cli.cmd_grade(cli.parser().parse_args(["grade", "--report-dir", str(tmp_path), "-n", "1"]))
    assert "-n" not in seen[1] and not any(w.startswith("--kvm-unit-tests") for w in seen[1])
