"""The Ninja graph and real incremental builds in a throwaway tree."""
import os

import pytest

from lab.build import GUEST_CFLAGS, HV_CFLAGS, build, ninja_file
from lab.errors import BuildError
from lab.multiboot import check_multiboot


def edges(text: str) -> dict[str, dict[str, str]]:
    """`build ...` lines of a Ninja file -> their indented variables."""
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith("build "):
            current = found.setdefault(line, {})
        elif line.startswith("  ") and current is not None:
            key, _, value = line.strip().partition(" = ")
            current[key] = value
        else:
            current = None
    return found


def test_ninja_file_has_cc_and_link_edges(tmp_path):
    for rel in ("hypervisor/core/a.c", "hypervisor/boot/entry.S", "hypervisor/tests/t.c",
                "images/lib/x.c", "images/tests/g.c"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    text = ninja_file(tmp_path, tmp_path / "build")
    e = edges(text)
    assert e["build build/obj/hypervisor/core/a.c.o: cc hypervisor/core/a.c"] == {
        "cflags": HV_CFLAGS}
    assert e["build build/obj/hypervisor/boot/entry.S.o: cc hypervisor/boot/entry.S"] == {
        "cflags": HV_CFLAGS}
    assert e["build build/obj/images/lib/x.c.o: cc images/lib/x.c"] == {"cflags": GUEST_CFLAGS}
    assert e["build build/obj/images/tests/g.c.o: cc images/tests/g.c"] == {
        "cflags": GUEST_CFLAGS}
    assert "-m64" in HV_CFLAGS and "-m32" in GUEST_CFLAGS
    assert "hypervisor/tests/t.c" not in text
    hv_link = e["build build/hypervisor/hypervisor.elf: link build/obj/hypervisor/boot/entry.S.o"
                " build/obj/hypervisor/core/a.c.o | hypervisor/link.ld"]
    assert hv_link["script"] == "hypervisor/link.ld"
    assert "-m elf_x86_64" in hv_link["ldflags"]
    guest_link = e["build build/images/tests/g.elf: link build/obj/images/tests/g.c.o"
                   " build/obj/images/lib/x.c.o | images/lib/link.ld"]
    assert guest_link["script"] == "images/lib/link.ld"
    assert "-m elf_i386" in guest_link["ldflags"]
    assert "build build/hypervisor/hypervisor32.elf: elf32 build/hypervisor/hypervisor.elf" in e
    assert "build build/hypervisor/hypervisor.iso: iso build/hypervisor/hypervisor.elf" in e


ENTRY_S = """\
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002, 0x2, -(0x1BADB002 + 0x2)
    .text
    .globl _start
_start:
    call hv_main
    hlt
"""
MAIN_C = '#include "hv.h"\n\nint hv_main(void) { return ANSWER; }\n'
LINK_LD = """\
ENTRY(_start)
SECTIONS {
    . = 0x100000;
    .text : { *(.multiboot) *(.text*) }
    .rodata : { *(.rodata*) }
    .data : { *(.data*) }
    .bss : { *(.bss*) *(COMMON) }
}
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A minimal hypervisor source tree; the build goes to tmp_path/out."""
    root = tmp_path / "src"
    files = {"hypervisor/boot/entry.S": ENTRY_S, "hypervisor/core/main.c": MAIN_C,
             "hypervisor/include/hv.h": "#define ANSWER 42\n", "hypervisor/link.ld": LINK_LD}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.setenv("LAB_ROOT", str(root))
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "out"))
    return root


def test_build_makes_hypervisor_copy_and_iso(tree, tmp_path):
    out = build(tree, quiet=True)
    assert out.build == tmp_path / "out"
    assert check_multiboot(out.hypervisor) == 64
    assert check_multiboot(out.hypervisor32) == 32
    assert out.iso.stat().st_size > 0


def test_second_build_has_no_work_to_do(tree, capfd):
    build(tree, quiet=True)
    capfd.readouterr()
    build(tree, quiet=False)
    assert "no work to do" in capfd.readouterr().out


def test_touched_header_rebuilds_only_objects_including_it(tree, tmp_path):
    build(tree, quiet=True)
    obj = tmp_path / "out/obj/hypervisor"
    c_obj, s_obj = obj / "core/main.c.o", obj / "boot/entry.S.o"
    c_before, s_before = c_obj.stat().st_mtime_ns, s_obj.stat().st_mtime_ns
    later = c_before + 1_000_000_000
    os.utime(tree / "hypervisor/include/hv.h", ns=(later, later))
    build(tree, quiet=True)
    assert c_obj.stat().st_mtime_ns != c_before
    assert s_obj.stat().st_mtime_ns == s_before


def test_syntax_error_is_build_error_with_file_and_line(tree, capfd):
    (tree / "hypervisor/core/main.c").write_text('#include "hv.h"\n\nint hv_main(void) { oops }\n')
    with pytest.raises(BuildError):
        build(tree, quiet=True)
    assert "hypervisor/core/main.c:3" in capfd.readouterr().err


def test_tree_without_hypervisor_folder_is_build_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "out"))
    with pytest.raises(BuildError, match="has no hypervisor/ folder"):
        build(tmp_path, quiet=True)


def test_reference_tree_builds_from_scratch_without_a_warning(tmp_path, monkeypatch, capfd):
    from lab.build import build as run_build
    from lab.build import project_root

    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    out = run_build(project_root())
    assert out.hypervisor.is_file() and out.os_disk.is_file()
    said = capfd.readouterr()
    warnings = [ln for ln in (said.out + said.err).splitlines() if "warning:" in ln]
    assert warnings == []


def test_host_test_links_the_sources_its_first_lines_name(tmp_path):
    files = {"hypervisor/devices/dev.c": "", "hypervisor/core/a.c": "", "hypervisor/core/b.c": "",
             "hypervisor/tests/test_plain.c": "/* no extra sources */\n",
             "hypervisor/tests/test_core.c": "/* host-test-sources: core/a.c core/b.c */\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    e = edges(ninja_file(tmp_path, tmp_path / "build"))
    host = {line.split(":")[0].split("/")[-1]: line for line in e if "hostcc" in line}
    assert host["test_plain"].endswith(
        "hostcc hypervisor/tests/test_plain.c hypervisor/devices/dev.c")
    assert host["test_core"].endswith("hostcc hypervisor/tests/test_core.c hypervisor/devices/dev.c"
                                      " hypervisor/core/a.c hypervisor/core/b.c")


def test_host_test_naming_a_missing_source_is_build_error(tmp_path):
    test = tmp_path / "hypervisor/tests/test_x.c"
    test.parent.mkdir(parents=True)
    test.write_text("/* host-test-sources: core/gone.c */\n")
    with pytest.raises(BuildError, match="test_x.c: host-test-sources names "
                                         "hypervisor/core/gone.c, which does not exist"):
        ninja_file(tmp_path, tmp_path / "build")


def test_host_test_with_an_extra_source_builds_and_runs(tree, tmp_path):
    import subprocess

    (tree / "hypervisor/core/answer.c").write_text(
        '#include "hv.h"\n\nint answer(void) { return ANSWER; }\n')
    (tree / "hypervisor/tests").mkdir()
    (tree / "hypervisor/tests/test_answer.c").write_text(
        "/* host-test-sources: core/answer.c */\n#include <stdio.h>\n\nint answer(void);\n\n"
        'int main(void) { printf("%d\\n", answer()); return 0; }\n')
    (tree / "hypervisor/include/hv.h").write_text("#define ANSWER 42\n")
    out = build(tree, quiet=True)
    done = subprocess.run([str(out.host_test("test_answer"))], capture_output=True, text=True)
    assert done.stdout == "42\n"


def test_a_guest_split_by_purpose_links_its_folders_sources(tmp_path):
    for rel in ("images/tests/h.c", "images/tests/h/a.c", "images/tests/h/b.S",
                "images/tests/h/notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    e = edges(ninja_file(tmp_path, tmp_path / "build"))
    assert "build build/obj/images/tests/h/a.c.o: cc images/tests/h/a.c" in e
    assert ("build build/images/tests/h.elf: link build/obj/images/tests/h.c.o "
            "build/obj/images/tests/h/a.c.o build/obj/images/tests/h/b.S.o | images/lib/link.ld"
            ) in e
    assert not any("notes.txt" in k for k in e)
    assert not any(k.startswith("build build/images/tests/a.elf") for k in e), \
        "a folder's sources make no guest of their own"
