"""The guest-side fuzzer (images/tests/fuzzer.c, lab/fuzz.py): a short campaign survives on
every target and reaches the exit handlers it aims at; a hypervisor with a planted crash is
found, the operations before it are named, and the minimizer shrinks them to the one."""
import shutil

import pytest

from lab import fuzz
from lab.build import build, project_root
from lab.targets import target_id

TARGETS = [("qemu-tcg", "svm"), ("bochs", "vmx"), ("bochs", "svm")]


@pytest.mark.parametrize("target", TARGETS, ids=target_id)
def test_a_short_campaign_survives_and_reaches_the_handlers_it_aims_at(lab_outputs, target):
    c = fuzz.campaign(target, seed=1, exits=20000, timeout=300, say=lambda _: None)
    assert c.finding is None, c.finding.how
    assert c.operations == fuzz.CHUNK and sum(c.exits.values()) >= 20000
    for kind in ("cpuid", "io", "rdmsr", "wrmsr", "hypercall", "ud"):
        assert c.exits[kind] > 0, c.coverage()


def test_a_planted_crash_is_found_replayed_and_minimized(tmp_path, monkeypatch):
    # A copy of the reference that panics on a guest WRMSR to MSR 0x2FF (one of the MSRs
    # the fuzzer picks from, on a tenth or so of its MSR operations).
    root = tmp_path / "lab"
    shutil.copytree(project_root() / "hypervisor", root / "hypervisor")
    msr = root / "hypervisor" / "core" / "msr.c"
    text = msr.read_text()
    head = "\tif (index == MSR_IA32_TSC) {\n\t\t/* Accepted and ignored"
    assert text.count(head) == 1
    msr.write_text(text.replace(head, '\tif (index == 0x2ff)\n\t\tpanic("planted");\n' + head))
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    # ninja names targets relative to the tree it builds
    out = build(root=root, targets=["../build/hypervisor/hypervisor.elf"], quiet=True)
    monkeypatch.delenv("LAB_BUILD_DIR")
    target = ("qemu-tcg", "svm")
    c = fuzz.campaign(target, seed=1, exits=100000, timeout=120, hypervisor=out.hypervisor,
                      say=lambda _: None)
    assert c.finding is not None and "panic" in c.finding.how, c.coverage()
    last, text = c.last_ops[-1]
    assert "wrmsr 0x2ff" in text, c.last_ops
    ops = fuzz.minimize(target, 1, list(range(max(last - 7, 0), last + 1)), timeout=120,
                        hypervisor=out.hypervisor, say=lambda _: None)
    assert ops == [last]
