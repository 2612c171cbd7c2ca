"""SWEB as the lab takes it: a prebuilt build folder, or a source tree built with its CMake."""
import fcntl
import json
import os
import re
import shutil
import struct
import tarfile
import time
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.multiboot import check_multiboot
from lab.sweb import Sweb, build_folder, first_error, resolve_sweb

SHARED = Path(__file__).resolve().parents[2] / "shared" / "sweb"  # beside the checkout
TARBALL = SHARED / "sweb-src.tar.gz"
BROKEN = "common/source/kernel/main.cpp"  # where the syntax-error test breaks the tree
MB1_MAGIC = 0x1BADB002

needs_shared = pytest.mark.skipif(not (SHARED / "kernel.x").is_file(),
                                  reason=f"no prebuilt SWEB in {SHARED}")


def one_line(e: pytest.ExceptionInfo) -> str:
    text = str(e.value)
    assert "\n" not in text
    return text


def tiny_kernel(path: Path) -> Path:
    """The smallest file check_multiboot accepts: an ELF32 with a header at 0x1000."""
    hdr = struct.pack("<III", MB1_MAGIC, 0x3, -(MB1_MAGIC + 0x3) % 2**32)
    path.write_bytes(b"\x7fELF\x01".ljust(0x1000, b"\0") + hdr + bytes(64))
    return path


def snapshot(tree: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(tree)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in tree.rglob("*")}


# --- a given build folder -----------------------------------------------------------------

@needs_shared
def test_prebuilt_folder_resolves_to_its_files(tmp_path):
    before = snapshot(SHARED)
    sweb = resolve_sweb(SHARED, tmp_path / "build")
    real = SHARED.resolve()  # the folder may be reached through a link
    assert sweb == Sweb(kernel=real / "kernel.x", disk=real / "SWEB.qcow2", source=None)
    assert snapshot(SHARED) == before
    assert not (tmp_path / "build").exists()  # nothing built, nothing written


def test_missing_path(tmp_path):
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path / "nope", tmp_path / "build")
    assert one_line(e) == f"SWEB path {tmp_path / 'nope'} does not exist"


def test_plain_file_is_refused(tmp_path):
    (tmp_path / "kernel.x").write_text("hello")
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path / "kernel.x", tmp_path / "build")
    assert one_line(e).startswith(f"SWEB path {tmp_path / 'kernel.x'} is not a folder: give a "
                                  "SWEB source tree")


def test_empty_folder_says_what_was_expected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path / "empty", tmp_path / "build")
    assert one_line(e) == (
        f"{tmp_path / 'empty'} is not SWEB: it has no CMakeLists.txt or kernel.x or SWEB.qcow2; "
        "give a SWEB source tree (with CMakeLists.txt, arch/, common/, userspace/) or a build "
        "folder holding kernel.x and SWEB.qcow2")


def test_other_cmake_project_is_not_a_sweb_tree(tmp_path):
    (tmp_path / "CMakeLists.txt").write_text("project(other)\n")
    (tmp_path / "arch").mkdir()
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path, tmp_path / "build")
    assert one_line(e).startswith(f"{tmp_path} is not SWEB: it has no common/ or userspace/; ")


def test_kernel_without_disk(tmp_path):
    tiny_kernel(tmp_path / "kernel.x")
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path, tmp_path / "build")
    assert one_line(e).startswith(f"{tmp_path} is not SWEB: it has no CMakeLists.txt or "
                                  "SWEB.qcow2; ")


def test_text_file_as_kernel(tmp_path):
    (tmp_path / "kernel.x").write_text("not a kernel\n")
    (tmp_path / "SWEB.qcow2").write_bytes(bytes(64 * 512))  # a fine (raw) image
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path, tmp_path / "build")
    assert one_line(e) == (f"SWEB kernel {tmp_path / 'kernel.x'} is not a Multiboot kernel "
                           "(no valid header in its first 8 KiB)")


def test_junk_disk(tmp_path):
    tiny_kernel(tmp_path / "kernel.x")
    (tmp_path / "SWEB.qcow2").write_text("this is no disk image\n")
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path, tmp_path / "build")
    assert one_line(e) == (f"guest disk {tmp_path / 'SWEB.qcow2'} is 22 bytes, not a whole "
                           "number of 512-byte sectors")


def test_junk_qcow2_disk(tmp_path):
    tiny_kernel(tmp_path / "kernel.x")
    # A qcow2 v3 header with nothing after the version (zero cluster bits).
    (tmp_path / "SWEB.qcow2").write_bytes(b"QFI\xfb\0\0\0\x03" + bytes(100))
    with pytest.raises(LabError) as e:
        resolve_sweb(tmp_path, tmp_path / "build")
    assert one_line(e) == (f"qemu-img cannot read {tmp_path / 'SWEB.qcow2'}: qemu-img: Could "
                           f"not open '{tmp_path / 'SWEB.qcow2'}': Unsupported cluster size: 2^0")


def test_first_error_parses_compiler_and_other_failures():
    assert first_error([
        "[ 40%] Building CXX object common/x.cpp.o",
        "/src/common/include/x.h: In function 'void f()':",
        "/src/common/source/x.cpp:12:7: error: expected ';' before 'return'",
        "/src/common/source/y.cpp:3:1: error: later",
    ]) == "/src/common/source/x.cpp:12: expected ';' before 'return'"
    assert first_error(["a.c:4: fatal error: nope.h: No such file or directory"]) == \
        "a.c:4: nope.h: No such file or directory"
    assert first_error(["CMake Error at CMakeLists.txt:3 (project):",
                        "  No CMAKE_CXX_COMPILER could be found.", ""]) == \
        "CMake Error at CMakeLists.txt:3 (project): No CMAKE_CXX_COMPILER could be found."
    assert first_error(["x.o: in function `f':", "x.cpp:(.text+0x5): undefined reference to `g'",
                        "make[2]: *** [kernel] Error 1"]) == \
        "x.cpp:(.text+0x5): undefined reference to `g'"
    assert first_error([]) == "no output"


def test_missing_cmake_is_one_line(tmp_path, monkeypatch):
    tree = tmp_path / "sweb"
    for d in ("arch", "common", "userspace"):
        (tree / d).mkdir(parents=True)
    (tree / "CMakeLists.txt").write_text("project(sweb)\n")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(LabError) as e:
        resolve_sweb(tree, tmp_path / "build")
    assert one_line(e) == ("building SWEB from source needs cmake, make, gcc, g++: install them "
                           "(apt-get install cmake make gcc g++)")


def test_build_root_inside_the_source_tree_is_refused(tmp_path):
    tree = tmp_path / "sweb"
    for d in ("arch", "common", "userspace"):
        (tree / d).mkdir(parents=True)
    (tree / "CMakeLists.txt").write_text("project(sweb)\n")
    if not all(shutil.which(t) for t in ("cmake", "make", "gcc", "g++")):
        pytest.skip("the tool check comes first: needs cmake, make, gcc, g++")
    with pytest.raises(LabError, match=r"would lie inside the SWEB source tree") as e:
        resolve_sweb(tree, tree / "build")
    one_line(e)
    assert not (tree / "build").exists()


# --- a source tree, built once per run ----------------------------------------------------

@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """One folder per test run, shared by the pytest-xdist workers: they build SWEB once."""
    if not TARBALL.is_file():
        pytest.skip(f"no SWEB source at {TARBALL}")
    if not all(shutil.which(t) for t in ("cmake", "make", "gcc", "g++")):
        pytest.skip("building SWEB needs cmake, make, gcc and g++ (run.sh installs them)")
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/, above the workers' own popen-gwK/
    top = base / "sweb-shared"
    top.mkdir(exist_ok=True)
    return top


@pytest.fixture
def built(shared_dir):
    """The unpacked tree, built (the first time for real): (tree, build root, Sweb, first).

    The tests that use it hold a lock, so one of them may break and mend the tree. `first`
    tells what the first build did: its progress lines, seconds, and whether it kept the
    source tree untouched."""
    with open(shared_dir / "tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tree, root = shared_dir / "src" / "sweb", shared_dir / "build"
        if not (shared_dir / "unpacked").is_file():
            shutil.rmtree(shared_dir / "src", ignore_errors=True)
            with tarfile.open(TARBALL) as tar:
                tar.extractall(shared_dir / "src",
                               **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
            (shared_dir / "unpacked").touch()
        first = shared_dir / "first-build.json"
        before = snapshot(tree)
        lines: list[str] = []
        start = time.monotonic()
        sweb = resolve_sweb(tree, root, progress=lines.append)
        if not first.is_file():
            first.write_text(json.dumps({"lines": lines, "seconds": time.monotonic() - start,
                                         "untouched": snapshot(tree) == before}))
        yield tree, root, sweb, json.loads(first.read_text())


def test_source_tree_builds_a_multiboot_kernel(built):
    tree, root, sweb, first = built
    out = build_folder(tree, root)
    assert out.parent == root.resolve() / "sweb" and len(out.name) == 12
    assert sweb == Sweb(kernel=out / "kernel.x", disk=out / "SWEB.qcow2", source=tree.resolve())
    assert check_multiboot(sweb.kernel, "SWEB kernel") == 32
    assert sweb.disk.read_bytes()[:4] == b"QFI\xfb"
    assert first["untouched"], "the build wrote into the source tree"
    lines = first["lines"]
    assert len(lines) > 100 and all(re.match(r"\[\s*\d+%\] ", line) for line in lines)
    assert any("Building CXX object" in line and "main.cpp" in line for line in lines)
    assert lines[-1].startswith("[100%]")
    assert "make -j" in (out / "lab-build.log").read_text()
    print(f"SWEB source build: {first['seconds']:.1f} s, {len(lines)} progress lines")


def test_second_resolve_rebuilds_nothing(built):
    tree, root, sweb, _ = built
    mtimes = (sweb.kernel.stat().st_mtime_ns, sweb.disk.stat().st_mtime_ns)
    lines: list[str] = []
    start = time.monotonic()
    again = resolve_sweb(tree, root, progress=lines.append)
    assert again == sweb
    assert lines == []  # make did not even run
    assert (sweb.kernel.stat().st_mtime_ns, sweb.disk.stat().st_mtime_ns) == mtimes
    assert time.monotonic() - start < 5


def test_syntax_error_names_file_and_line(built):
    tree, root, sweb, _ = built
    victim = tree / BROKEN
    original = victim.read_bytes()
    lines = original.decode().splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if ln.startswith('extern "C" void startup()'))
    lines.insert(at, "int this_is_broken = ;\n")
    try:
        victim.write_text("".join(lines))
        with pytest.raises(LabError) as e:
            resolve_sweb(tree, root)
        log = build_folder(tree, root) / "lab-build.log"
        assert one_line(e) == (f"SWEB build failed: {victim.resolve()}:{at + 1}: expected "
                               f"primary-expression before ';' token (full log: {log})")
        assert "int this_is_broken = ;" in log.read_text()
    finally:
        victim.write_bytes(original)
    rebuilt: list[str] = []
    fixed = resolve_sweb(tree, root, progress=rebuilt.append)  # incremental: one file
    assert fixed == sweb
    compiled = [ln for ln in rebuilt if "Building" in ln]
    assert len(compiled) == 1 and compiled[0].endswith("/main.cpp.o"), compiled
    assert check_multiboot(fixed.kernel, "SWEB kernel") == 32


def test_sweb_built_from_source_boots_to_its_shell_under_the_hypervisor(built, lab_outputs,
                                                                         host_platforms):
    """The built tree is a working SWEB: it boots under the reference hypervisor and lists
    its disk's programs typed on the keyboard (the m4 scenarios do the rest, given --sweb)."""
    from lab.config import RunConfig
    from lab.runner import prepare
    from lab.swebos import SwebShell

    tree, root, sweb, _ = built
    cfg = RunConfig(platform="qemu-tcg", backend="svm", guest_kernel=sweb.kernel,
                    guest_disk=sweb.disk, guest_memory=8)
    prep = prepare(cfg, outputs=lab_outputs, platforms=host_platforms)
    with prep.boot() as m:
        shell = SwebShell(m, 60)
        shell.wait_ready()
        assert "[F] mult.sweb" in shell.run("ls /usr")
