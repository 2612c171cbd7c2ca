"""kvm-unit-tests as the lab builds it (lab.kut): bad sources give one line, never a write
into the source, and the environment the tests are handed."""
import tarfile

import pytest

from lab.errors import BuildError, ConfigError
from lab.kut import build_kvm_unit_tests, env_text


def test_the_environment_names_one_cpu_and_the_guests_memory():
    assert env_text(256) == "NR_CPUS=1\nMEMSIZE=256\nMEMLIMIT=256\n"


def test_a_path_that_does_not_exist_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"kvm-unit-tests path .*nowhere does not exist"):
        build_kvm_unit_tests(tmp_path / "nowhere", tmp_path / "build")


def test_a_folder_with_neither_a_tree_nor_a_tarball_is_refused(tmp_path):
    (tmp_path / "src").mkdir()
    with pytest.raises(ConfigError, match="neither a source tree"):
        build_kvm_unit_tests(tmp_path / "src", tmp_path / "build")


def test_a_tarball_without_a_source_tree_is_refused(tmp_path):
    (tmp_path / "README").write_text("not the suite\n")
    with tarfile.open(tmp_path / "kut.tar.gz", "w:gz") as t:
        t.add(tmp_path / "README", arcname="kut/README")
    with pytest.raises(ConfigError, match="holds no source tree with ./configure"):
        build_kvm_unit_tests(tmp_path / "kut.tar.gz", tmp_path / "build")


def test_a_tarball_reaching_outside_its_folder_is_refused(tmp_path):
    (tmp_path / "x").write_text("x\n")
    with tarfile.open(tmp_path / "evil.tar.gz", "w:gz") as t:
        t.add(tmp_path / "x", arcname="../escaped")
    with pytest.raises(ConfigError, match="points outside its folder"):
        build_kvm_unit_tests(tmp_path / "evil.tar.gz", tmp_path / "build")
    assert not (tmp_path / "build" / "escaped").exists()


def test_a_failing_build_names_its_log_and_leaves_the_tree_alone(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "configure").write_text("#!/bin/sh\necho 'no cross compiler' >&2\nexit 3\n")
    (tree / "configure").chmod(0o755)
    before = sorted(p.name for p in tree.iterdir())
    with pytest.raises(BuildError, match=r"`./configure` failed \(exit 3\); see .*lab-build.log"):
        build_kvm_unit_tests(tree, tmp_path / "build")
    assert sorted(p.name for p in tree.iterdir()) == before
    log = next((tmp_path / "build" / "kvm-unit-tests").glob("*/lab-build.log"))
    assert "no cross compiler" in log.read_text()


def test_a_direct_runs_exit_value_is_read_back_from_qemus_status():
    from lab.kut import direct_exit_value

    assert direct_exit_value(1) == 0  # (0 << 1) | 1: passed
    assert direct_exit_value(77) == 38  # the suite's SKIP
    assert direct_exit_value(127) == 63
    assert direct_exit_value(0) is None  # QEMU quit otherwise (the lab stopped it, say)
    assert direct_exit_value(None) is None and direct_exit_value(-9) is None
