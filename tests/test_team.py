"""A team's hypervisor for grading: an ELF, or a folder that says how to build it."""
import pytest

from kernels import HANG, assemble
from lab.errors import LabError
from lab.team import Team, team, team_hypervisor


def test_team_folder_is_built_with_its_command_then_checked(tmp_path):
    assemble(HANG, tmp_path / "src.elf")
    (tmp_path / "lab-team.yaml").write_text("build: cp src.elf out/hv.elf\n"
                                            "hypervisor: out/hv.elf\n")
    (tmp_path / "out").mkdir()
    assert team_hypervisor(tmp_path) == tmp_path / "out" / "hv.elf"
    assert (tmp_path / "out" / "hv.elf").read_bytes() == (tmp_path / "src.elf").read_bytes()


def test_failing_team_build_is_one_line_with_its_status(tmp_path):
    (tmp_path / "lab-team.yaml").write_text("build: exit 3\nhypervisor: hv.elf\n")
    with pytest.raises(LabError, match=r"the team build `exit 3` failed with status 3"):
        team_hypervisor(tmp_path)


@pytest.mark.parametrize("text, message", [
    (None, "without lab-team.yaml"),
    ("build: [1\n", "invalid YAML"),
    ("build: make\n", "needs a 'hypervisor' path"),
    ("build: 5\nhypervisor: x\n", "'build' must be a shell command"),
])
def test_malformed_team_folder_is_refused(tmp_path, text, message):
    if text is not None:
        (tmp_path / "lab-team.yaml").write_text(text)
    with pytest.raises(LabError, match=message):
        team_hypervisor(tmp_path)


def test_team_elf_that_is_not_multiboot_is_refused(tmp_path):
    f = tmp_path / "hv.elf"
    f.write_bytes(b"\x7fELF" + bytes(100))
    with pytest.raises(LabError, match="not a Multiboot kernel"):
        team_hypervisor(f)


def test_team_file_names_its_sweb_relative_to_the_folder(tmp_path):
    assemble(HANG, tmp_path / "hv.elf")
    (tmp_path / "sweb-build").mkdir()
    (tmp_path / "lab-team.yaml").write_text("hypervisor: hv.elf\nsweb: sweb-build\n")
    assert team(tmp_path) == Team(hypervisor=tmp_path / "hv.elf", sweb=tmp_path / "sweb-build")


def test_team_file_declares_its_backend(tmp_path):
    assemble(HANG, tmp_path / "hv.elf")
    (tmp_path / "lab-team.yaml").write_text("hypervisor: hv.elf\nbackend: svm\n")
    assert team(tmp_path).backend == "svm"


@pytest.mark.parametrize("text, message", [
    ("hypervisor: hv.elf\nsweb: nowhere\n", r"sweb .*/nowhere does not exist"),
    ("hypervisor: hv.elf\nsweb: [1, 2]\n", "'sweb' must be a path"),
    ("hypervisor: hv.elf\nsweeb: x\n",
     "unknown key 'sweeb' \\(known: build, hypervisor, sweb, backend, feature, "
     "feature_tests\\)"),
    ("hypervisor: hv.elf\nbackend: arm\n", "backend must be one of vmx, svm, both, not 'arm'"),
])
def test_bad_team_file_entry_is_one_line(tmp_path, text, message):
    assemble(HANG, tmp_path / "hv.elf")
    (tmp_path / "lab-team.yaml").write_text(text)
    with pytest.raises(LabError, match=message):
        team(tmp_path)


def test_team_file_bids_for_a_catalogue_feature(tmp_path):
    from lab.features import Choice

    assemble(HANG, tmp_path / "hv.elf")
    (tmp_path / "lab-team.yaml").write_text("hypervisor: hv.elf\nfeature: dedup\n")
    assert team(tmp_path).feature == Choice("dedup")


def test_team_file_brings_its_own_feature_file(tmp_path):
    assemble(HANG, tmp_path / "hv.elf")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "snap.py").write_text("")
    (tmp_path / "lab-team.yaml").write_text(
        "hypervisor: hv.elf\nfeature: snapshots\nfeature_tests: t/snap.py\n")
    t = team(tmp_path)
    assert (t.feature.name, t.feature.tests, t.feature.team_written) == (
        "snapshots", tmp_path / "t" / "snap.py", True)


@pytest.mark.parametrize("text, message", [
    ("feature: snapshots\n", r"unknown feature 'snapshots' \(the catalogue: consolidation, "
                             r"dedup; a team's own feature needs feature_tests: PATH"),
    ("feature: snapshots\nfeature_tests: gone.py\n", r"feature_tests .*/gone.py does not exist"),
    ("feature: snapshots\nfeature_tests: notes.txt\n",
     r"feature_tests .*/notes.txt is not a Python file \(.py\)"),
    ("feature: dedup\nfeature_tests: notes.txt\n", "'dedup' is a catalogue feature"),
    ("feature_tests: x.py\n", "feature_tests needs feature: NAME beside it"),
    ("feature: Two Words\n", "a feature is a short lower-case name"),
])
def test_bad_feature_entry_is_one_line_before_any_build(tmp_path, text, message):
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "lab-team.yaml").write_text("build: touch built\nhypervisor: hv.elf\n" + text)
    with pytest.raises(LabError, match=message) as err:
        team(tmp_path)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "built").exists()
