"""Emulators take nothing from the host: a fresh machine and a developer's behave the same.

A developer's machine once had what a fresh one lacked (a working ALSA setup), and Bochs'
default sound driver aborted on every fresh machine while every run here was green.
"""
import os
from pathlib import Path

from lab.disks import Disk
from lab.iso import Module
from lab.machine.base import MachineSpec, emulator_env
from lab.machine.bochs import bochsrc
from lab.machine.qemu import qemu_command


def _spec(platform: str, **kw) -> MachineSpec:
    return MachineSpec(platform=platform, backend="svm", hypervisor=Path("/hv.elf"), **kw)


def test_bochsrc_names_sound_display_and_devices_explicitly():
    rc = bochsrc(_spec("bochs"), Path("/x.iso"), 1000, 1001).splitlines()
    assert "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy" in rc
    assert 'display_library: rfb, options="timeout=0"' in rc
    assert "speaker: enabled=0" in rc
    assert "parport1: enabled=0" in rc
    assert not any(line.startswith(("ne2k", "e1000", "usb_", "sb16", "es1370")) for line in rc)


def test_qemu_command_has_no_display_sound_or_network_from_the_host():
    cmd = qemu_command(_spec("qemu-tcg"), Path("/hv32.elf"), 1000, 1001, Path("/q.sock"))
    pairs = list(zip(cmd, cmd[1:]))
    assert ("-display", "none") in pairs
    assert ("-audiodev", "none,id=nosound") in pairs
    assert ("-nic", "none") in pairs
    assert "-nodefaults" in cmd


def test_emulator_environment_hides_sound_display_and_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("PULSE_SERVER", "unix:/run/pulse")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/0")
    env = emulator_env(tmp_path)
    assert set(env) <= {"PATH", "LANG", "HOME", "ALSA_CONFIG_PATH", "TMPDIR"}
    assert env["HOME"] == str(tmp_path)
    assert Path(env["ALSA_CONFIG_PATH"]).read_text() == ""  # ALSA sees no card at all
    assert env["PATH"] == os.environ["PATH"]


def test_disk_line_is_in_the_bochsrc_when_a_disk_is_given(tmp_path):
    disk = Disk(path=tmp_path / "d.img", fmt="raw", guest_sectors=100)
    rc = bochsrc(_spec("bochs", disk=disk), Path("/x.iso"), 1, 2)
    assert f"ata0-master: type=disk, path={disk.path}, mode=flat" in rc


def test_direct_qemu_boot_sends_port_e9_to_the_console_source():
    spec = _spec("qemu-tcg", direct=True)
    cmd = qemu_command(spec, Path("/k.elf"), 1000, 1001, Path("/q.sock"), debugcon_port=1002)
    pairs = list(zip(cmd, cmd[1:]))
    assert ("-chardev", "socket,id=e9,host=127.0.0.1,port=1002") in pairs
    assert ("-device", "isa-debugcon,iobase=0xe9,chardev=e9") in pairs


def test_direct_bochs_boot_enables_the_e9_hack_and_only_then():
    assert "port_e9_hack: enabled=1" in bochsrc(_spec("bochs", direct=True), Path("/x"), 1, 2)
    assert "port_e9_hack" not in bochsrc(_spec("bochs"), Path("/x"), 1, 2)


def _demux():
    import os
    import socket

    from lab.machine.bochs_e9 import E9Demux

    server = socket.create_server(("127.0.0.1", 0))
    r, w = os.pipe()
    demux = E9Demux(r, server.getsockname()[1])
    conn, _ = server.accept()

    def close():
        os.close(w)
        demux.close()
        conn.close()
        server.close()
    return demux, close


def test_e9_bytes_are_split_from_the_debugger_at_its_stop_mark():
    from lab.machine.bochs_e9 import _held_back

    assert _held_back(b"SWEB: /> ") == 0
    assert _held_back(b"hello\nNext a") == len("Next a")
    assert _held_back(b"N") == 1
    assert _held_back(b"lab$ (0).[8324") == len("(0).[8324")
    assert _held_back(b"(0) and (1)") == 0
    assert _held_back(b"lab$ (0) Cau") == len("(0) Cau")
    demux, close = _demux()
    demux.running()
    assert demux.split(b"guest text Next a") == (b"guest text ", b"", b"Next a")
    assert demux.split(b"Next at t=5\n<bochs:2> ") == (b"", b"Next at t=5\n<bochs:2> ", b"")
    close()


def test_e9_split_drops_the_echo_of_continue_and_keeps_the_guests_own_c():
    # the CI failure: 'lab$ c' on the console of a direct Bochs boot, the echo of `c`
    demux, close = _demux()
    demux.running(echo=b"c\n")
    assert demux.split(b"c") == (b"", b"", b"c")
    assert not demux.echoed.is_set()
    assert demux.split(b"c\nlab$ ") == (b"lab$ ", b"", b"")
    assert demux.echoed.is_set()
    demux.running(echo=b"c\n")
    assert demux.split(b"c\n") == (b"", b"", b"")  # the echo alone, in one read
    assert demux.echoed.is_set()
    assert demux.split(b"c\n") == (b"c\n", b"", b"")  # the echo went already
    demux.running(echo=b"c\n")
    assert demux.split(b"lab$ ") == (b"lab$ ", b"", b"")  # no echo came: all the guest's
    close()


def test_e9_split_gives_the_exit_instruction_line_to_the_debugger():
    demux, close = _demux()
    demux.running()
    exit_line = b"(0).[8324514] [0x000000100400] 0008:0000000000100400 (unk. ctxt): out dx, al\n"
    assert demux.split(b"EXIT: code=0\n" + exit_line) == (b"EXIT: code=0\n", exit_line, b"")
    demux.running()
    watch = b"(0) Caught write watch point at 0x0000000b8000\nNext at t=5\n"
    assert demux.split(b"SWEB" + watch) == (b"SWEB", watch, b"")
    close()


def test_the_scrubbed_environment_shows_a_fresh_machines_bochs_abort_on_any_host(tmp_path):
    """The check that would have caught the abort here: under emulator_env, Bochs with its
    default sound driver fails at start on this machine too, whatever sound this host has.
    With the lab's bochsrc (dummy drivers) the same start reaches the debugger."""
    import shutil
    import subprocess

    import pytest

    from lab.platforms import BOCHS
    if shutil.which(BOCHS) is None:
        pytest.skip("Bochs is not installed (run.sh installs it)")
    lab_rc = bochsrc(_spec("bochs"), Path("/nonexistent.iso"), 1, 2)
    assert "sound: waveoutdrv=dummy" in lab_rc
    host_default = "\n".join(line for line in lab_rc.splitlines()
                             if not line.startswith(("sound:", "com1:", "com2:")))
    lab_rc = "\n".join(line for line in lab_rc.splitlines()
                       if not line.startswith(("com1:", "com2:")))

    def start(rc_text: str) -> subprocess.CompletedProcess:
        rc = tmp_path / "bochsrc"
        rc.write_text(rc_text)
        return subprocess.run([BOCHS, "-q", "-f", str(rc)], cwd=tmp_path, input="quit\n",
                              capture_output=True, text=True, errors="replace", timeout=60,
                              env=emulator_env(tmp_path))

    aborted = start(host_default)
    said = aborted.stdout + aborted.stderr
    assert aborted.returncode != 0 and "<bochs:1>" not in said, said[-2000:]
    assert "ALSA" in said or "buffer overflow" in said, said[-2000:]
    fine = start(lab_rc)
    assert "<bochs:1>" in fine.stdout, (fine.stdout + fine.stderr)[-2000:]


def _bzimage(path: Path) -> Path:
    head = bytearray(0x400)
    head[0x202:0x206] = b"HdrS"
    head[0x211] = 0x01  # LOADED_HIGH
    path.write_bytes(bytes(head))
    return path


def test_direct_qemu_boot_of_linux_hands_its_initrd_as_a_bare_path(tmp_path):
    """QEMU's Linux loader takes -initrd FILE (its Multiboot loader FILE ARGS,...), and the
    guest's own exit port is there as under a hypervisor."""
    initrd = tmp_path / "initrd.cpio"
    spec = _spec("qemu-tcg", direct=True, modules=[Module(initrd, "initrd.cpio")])
    cmd = qemu_command(spec, _bzimage(tmp_path / "vmlinuz"), 1000, 1001, Path("/q.sock"))
    pairs = list(zip(cmd, cmd[1:]))
    assert ("-initrd", str(initrd)) in pairs
    assert ("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04") in pairs
    multiboot = qemu_command(_spec("qemu-tcg", direct=True, modules=[Module(initrd, "x a")]),
                             Path("/k.elf"), 1000, 1001, Path("/q.sock"))
    assert ("-initrd", f"{initrd} x a") in list(zip(multiboot, multiboot[1:]))


def test_bochs_raises_gp_on_unknown_msrs_but_for_a_linux_kernel_booted_directly():
    """#GP as hardware (hostile-guest scenarios rely on it); Linux booted directly as the
    baseline reads the MSRs Bochs' CPU models lack as 0 (lab/bench_linux.py)."""
    cpu = [line for line in bochsrc(_spec("bochs"), Path("/x.iso"), 1, 2).splitlines()
           if line.startswith("cpu:")]
    assert len(cpu) == 1 and cpu[0].endswith("ignore_bad_msrs=0")
    linux = bochsrc(_spec("bochs", direct=True, linux=True), Path("/x.iso"), 1, 2)
    assert "ignore_bad_msrs=1" in linux and "ignore_bad_msrs=0" not in linux


def _ignored_signals(**popen) -> int:
    """The SigIgn mask of a child started with these Popen arguments."""
    import subprocess
    status = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True,
                            check=True, **popen).stdout
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("SigIgn:")), 16)


def test_an_emulator_starts_with_sigpipe_ignored(tmp_path):
    """Bochs died of SIGPIPE (status -13) when its VNC server wrote to the keyboard client
    the lab had just closed; the child ignores SIGPIPE, as the lab does."""
    from lab.machine.base import Machine
    extra = Machine._popen_extra(type("M", (), {"workdir": tmp_path})())
    assert _ignored_signals(preexec_fn=extra["preexec_fn"]) & (1 << (13 - 1)), \
        "SIGPIPE (13) is not ignored in the emulator"
    # without the lab's preexec, subprocess restores SIGPIPE's default: the test can fail
    assert not _ignored_signals() & (1 << 12)
