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
], ids=["platform", "backend", "missing-hypervisor", "text-hypervisor", "malformed-profile",
        "missing-sweb", "file-as-sweb", "sweb-and-guest"])
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
