"""The device models under libFuzzer with ASan and UBSan (lab/devfuzz.py, hypervisor/fuzz/):
a short campaign per model in every test run, and the finding path shown to work."""
import shutil

import pytest

from lab import devfuzz
from lab.build import project_root

SHORT_RUNS = 20000

pytestmark = pytest.mark.skipif(shutil.which("clang") is None,
                                reason=f"no clang: {devfuzz.INSTALL_HINT} (run.sh does)")


def test_every_model_has_a_harness():
    assert devfuzz.harnesses() == ["ata", "i8042", "pic", "pit", "rtc", "serial", "vga"]


@pytest.fixture(scope="module")
def fuzzers():
    return devfuzz.build_fuzzers(devfuzz.harnesses())


@pytest.mark.parametrize("model", ["ata", "i8042", "pic", "pit", "rtc", "serial", "vga"])
def test_a_short_campaign_finds_nothing(fuzzers, model):
    result = devfuzz.run_fuzzer(model, fuzzers[model], runs=SHORT_RUNS)
    assert result.finding == "", result.line
    assert result.runs >= SHORT_RUNS and result.coverage > 0, result.line


def test_a_model_bug_is_reported_with_the_input_that_found_it(tmp_path, monkeypatch):
    # A copy of the tree whose PIC model writes past a stack array when a guest writes 0xAB
    # to one of its ports: the campaign must end with the sanitizer's report and the input
    # saved. (A write past the model's state was once missed: the state is a global there,
    # and the byte past it can be another global's.)
    root = tmp_path / "lab"
    shutil.copytree(project_root() / "hypervisor", root / "hypervisor")
    pic = root / "hypervisor" / "devices" / "pic.c"
    text = pic.read_text()
    assert text.count("void pic_port_write(void *state, u16 port, u8 size, u32 value)\n{") == 1
    pic.write_text(text.replace(
        "void pic_port_write(void *state, u16 port, u8 size, u32 value)\n{",
        "void pic_port_write(void *state, u16 port, u8 size, u32 value)\n{\n"
        "\tif ((u8)value == 0xAB) { volatile u8 a[4]; volatile int i = 4; a[i] = 1; }"))
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    binary = devfuzz.build_fuzzers(["pic"], root=root)["pic"]
    result = devfuzz.run_fuzzer("pic", binary, runs=2_000_000, root=root)
    # UBSan's bounds check or ASan's stack check, whichever sees it first
    assert ("index 4 out of bounds" in result.finding
            or "stack-buffer-overflow" in result.finding), result.line
    assert result.artifact is not None and result.artifact.is_file()
