"""The mutants of the reference (tests/mutants/): each still applies, and one is killed here
end to end (`lab mutants` runs them all)."""
import pytest

from lab import mutants
from lab.errors import LabError


def test_every_mutant_patch_applies_to_a_copy_and_changes_it(tmp_path):
    from lab.build import project_root

    for m in mutants.load():
        src = mutants.tree(m, tmp_path / m.name)
        changed = [p for p in (src / "hypervisor").rglob("*") if p.is_file()
                   and p.read_bytes() != (project_root() / p.relative_to(src)).read_bytes()]
        assert changed, f"{m.name}: the patch changed nothing"
        assert m.killed_by and m.fault


def test_a_patch_that_no_longer_applies_is_one_line(tmp_path):
    bad = tmp_path / "bad.patch"
    bad.write_text("--- a/hypervisor/core/nosuch.c\n+++ b/hypervisor/core/nosuch.c\n"
                   "@@ -1 +1 @@\n-x\n+y\n")
    m = mutants.Mutant("bad", bad, "nothing", ["x"])
    with pytest.raises(LabError, match=r"^mutant bad: its patch does not apply: .*nosuch\.c"):
        mutants.tree(m, tmp_path / "w")


def test_the_cpuid_mutant_is_killed_by_its_scenario(tmp_path):
    (m,) = [m for m in mutants.load() if m.name == "cpuid-leaks-svm"]
    mutants.check(m, tmp_path / "work")
    assert m.outcomes == {m.killed_by[0]: "failed"} and m.killed


def test_a_scenario_is_named_without_its_target():
    name = mutants.scenario
    assert name("s.py::f[qemu-tcg-svm-exit-7]") == "s.py::f[exit-7]"
    assert name("s.py::f[bochs-vmx]") == "s.py::f"
    assert name("s.py::f[bochs-athlon64_clawhammer]") == "s.py::f"  # platform and CPU model
    assert name("s.py::f[qemu-tcg-svm-eoi]") == "s.py::f[eoi]"
    assert name("s.py::f") == "s.py::f"


def test_a_mutant_named_in_two_files_is_refused(tmp_path):
    folder = tmp_path / mutants.FOLDER
    folder.mkdir(parents=True)
    entry = "x:\n  patch: x.patch\n  killed_by: [s.py::f]\n"
    (folder / "m1.yaml").write_text(entry)
    (folder / "m2.yaml").write_text(entry)
    with pytest.raises(LabError, match=r"m2\.yaml: mutant x is also named in another file"):
        mutants.load(tmp_path)


def test_a_kill_by_a_scenario_that_fails_on_the_reference_does_not_count():
    m = mutants.Mutant("m", mutants.FOLDER / "m.patch", "fault", ["s.py::f[bochs-vmx]"])
    m.outcomes = {"s.py::f[bochs-vmx]": "failed"}
    assert m.killed_where({"s.py::f[bochs-vmx]"})
    assert not m.killed_where(set())  # the scenario failed on the reference too
    assert mutants.kills([m], set()) == {}
    assert mutants.kills([m], {"s.py::f[bochs-vmx]"}) == {"s.py::f": ["m"]}
