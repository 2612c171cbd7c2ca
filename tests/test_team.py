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


@pytest.mark.parametrize("text, message", [
    ("hypervisor: hv.elf\nsweb: nowhere\n", r"sweb .*/nowhere does not exist"),
    ("hypervisor: hv.elf\nsweb: [1, 2]\n", "'sweb' must be a path"),
    ("hypervisor: hv.elf\nsweeb: x\n",
     "unknown key 'sweeb' \\(known: build, hypervisor, sweb, backend\\)"),
    ("hypervisor: hv.elf\nbackend: arm\n", "backend must be vmx, svm or both, got 'arm'"),
])
def test_bad_sweb_entry_is_one_line(tmp_path, text, message):
    assemble(HANG, tmp_path / "hv.elf")
    (tmp_path / "lab-team.yaml").write_text(text)
    with pytest.raises(LabError, match=message):
        team(tmp_path)
