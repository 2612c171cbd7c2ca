"""YAML machine profiles and RunConfig.validate()."""
from pathlib import Path

import pytest

from lab.config import RunConfig, load_profile
from lab.errors import ConfigError


def profile(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def load_error(path) -> str:
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_full_profile_loads_with_paths_relative_to_its_folder(tmp_path):
    (tmp_path / "profiles").mkdir()
    path = profile(tmp_path / "profiles", """\
platform: qemu-tcg
backend: svm
hypervisor: ../hv/hypervisor.elf
guest_kernel: /abs/guest.elf
guest_args: "a b"
memory: 256
guest_memory: 64
cpu: max
append: watchdog=100
timeout: 30
timeout_scale: 2.5
""")
    cfg = load_profile(path).validate()
    assert cfg == RunConfig(
        platform="qemu-tcg", backend="svm",
        hypervisor=(tmp_path / "profiles").resolve() / "../hv/hypervisor.elf",
        guest_kernel=Path("/abs/guest.elf"), guest_args="a b", memory=256, guest_memory=64,
        cpu="max", append="watchdog=100", timeout=30.0, timeout_scale=2.5)


def test_unknown_key_names_key_and_file(tmp_path):
    path = profile(tmp_path, "memroy: 128\n")
    msg = load_error(path)
    assert "unknown key 'memroy'" in msg and str(path) in msg


def test_yaml_syntax_error_gives_line_number(tmp_path):
    msg = load_error(profile(tmp_path, "memory: 128\nbackend: [svm\nplatform: bochs\n"))
    assert "at line 3" in msg


def test_top_level_list_is_refused(tmp_path):
    assert "expected a mapping" in load_error(profile(tmp_path, "- memory\n- 128\n"))


@pytest.mark.parametrize("text", ["memory: lots", "memory: true", "timeout: [1]"])
def test_wrong_type_is_refused(tmp_path, text):
    key = text.split(":")[0]
    assert f"'{key}' must be a number" in load_error(profile(tmp_path, text + "\n"))


@pytest.mark.parametrize("text", ["memory: 1.5", "memory: .inf", "memory: .nan"])
def test_memory_must_be_whole(tmp_path, text):
    assert "'memory' must be a whole number" in load_error(profile(tmp_path, text + "\n"))


def test_text_key_refuses_a_number(tmp_path):
    assert "'cpu' must be text" in load_error(profile(tmp_path, "cpu: 5\n"))


def test_binary_profile_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in load_error(path)


def test_missing_profile_does_not_exist(tmp_path):
    assert "does not exist" in load_error(tmp_path / "nope.yaml")


@pytest.mark.parametrize("kwargs, words", [
    ({"platform": "vmware"}, "unknown platform 'vmware'"),
    ({"backend": "arm"}, "unknown backend 'arm'"),
    ({"guest": "hello", "guest_kernel": Path("/k")}, "not both"),
    ({"memory": 8}, "memory 8 MiB is out of range"),
    ({"memory": 8192}, "memory 8192 MiB is out of range"),
    ({"memory": 128, "guest_memory": 128}, "guest_memory 128 MiB must be"),
    ({"timeout": 0}, "must be positive"),
    ({"timeout": float("nan")}, "must be positive"),
])
def test_validate_refuses(kwargs, words):
    with pytest.raises(ConfigError, match=words) as err:
        RunConfig(**kwargs).validate()
    assert "\n" not in str(err.value)


def test_the_command_line_wins_over_the_profile_key_by_key(tmp_path, monkeypatch):
    from lab import cli

    path = profile(tmp_path, "platform: bochs\nbackend: vmx\ntimeout: 99\nguest: hello\n"
                             "expect: [from the profile]\n")
    monkeypatch.chdir(tmp_path)
    a = cli.parser().parse_args(["run", "--profile", str(path), "--platform", "qemu-tcg",
                                 "--backend", "svm", "--expect", "from the option"])
    cfg = cli._config(a)
    assert (cfg.platform, cfg.backend) == ("qemu-tcg", "svm")  # given on the command line
    assert (cfg.timeout, cfg.guest) == (99.0, "hello")  # only in the profile: kept
    assert cfg.expect == ["from the option"]  # a list option replaces the profile's list
