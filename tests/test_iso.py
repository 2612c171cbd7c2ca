"""lab.iso: the GRUB configurations Bochs boots by, and what goes on the ISO unchanged."""
from pathlib import Path

import pytest

import lab.iso
from lab.errors import BuildError
from lab.iso import LINUX_LOADER, Module, _copy_without_debug_info, grub_cfg, module_closure


def test_a_hypervisor_is_booted_by_multiboot_with_its_modules_in_order(tmp_path):
    cfg = grub_cfg("backend=svm", [Module(tmp_path / "a", "guest x=1"),
                                   Module(tmp_path / "b", "guest-module env")])
    assert cfg.splitlines() == ["insmod multiboot", "multiboot /boot/hypervisor.elf backend=svm",
                                "module /boot/module0 guest x=1",
                                "module /boot/module1 guest-module env", "boot"]


def test_a_linux_kernel_is_booted_by_grubs_linux_loader_with_its_initrd(tmp_path):
    cfg = grub_cfg("console=ttyS0", [Module(tmp_path / "initrd", "initrd")], LINUX_LOADER)
    assert cfg.splitlines() == ["insmod linux", "linux /boot/hypervisor.elf console=ttyS0",
                                "initrd /boot/module0", "boot"]
    assert "initrd" not in grub_cfg("", [], LINUX_LOADER), "no module: no initrd line"
    with pytest.raises(BuildError, match="one module, its initrd, not 2"):
        grub_cfg("", [Module(tmp_path / "a", ""), Module(tmp_path / "b", "")], LINUX_LOADER)


@pytest.mark.skipif(not Path("/usr/lib/grub/i386-pc/moddep.lst").is_file(),
                    reason="GRUB's BIOS modules are not installed")
def test_grubs_linux_loader_brings_its_dependencies():
    mods = module_closure(LINUX_LOADER)
    assert mods[0] == "linux" and "relocator" in mods and "multiboot" not in mods


def test_a_kernel_that_is_no_elf_goes_on_the_iso_byte_for_byte(tmp_path, monkeypatch):
    """A bzImage starts with a PE header (its EFI stub): objcopy took Debian's for PE and
    rewrote it, and GRUB refused the copy ('invalid magic number'). Found booting Linux on
    Bochs. objcopy now sees only ELF files."""
    ran = []
    monkeypatch.setattr(lab.iso.subprocess, "run", lambda argv, **kw: ran.append(argv))
    bz = tmp_path / "vmlinuz"
    bz.write_bytes(b"MZ" + bytes(0x3A) + b"\x40\0\0\0" + b"PE\0\0" + bytes(range(256)) * 8)
    _copy_without_debug_info(bz, tmp_path / "copy")
    assert ran == [] and (tmp_path / "copy").read_bytes() == bz.read_bytes()


def test_an_elf_goes_on_the_iso_without_its_debug_information(tmp_path):
    obj = tmp_path / "a.o"
    (tmp_path / "a.c").write_text("int answer(void) { return 42; }\n")
    lab.iso.subprocess.run(["gcc", "-g", "-c", str(tmp_path / "a.c"), "-o", str(obj)],
                           check=True)
    _copy_without_debug_info(obj, tmp_path / "copy")
    assert b".debug_info" in obj.read_bytes()
    assert b".debug_info" not in (tmp_path / "copy").read_bytes()
