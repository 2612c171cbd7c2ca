"""QEMU (KVM or TCG) driven over QMP (`qemu.qmp`) with its serial ports on loopback sockets."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from qemu.qmp import QMPError
from qemu.qmp.legacy import QEMUMonitorProtocol

from ..errors import InfraError, LabError
from ..keys import chord_keysyms, qcodes
from ..multiboot import is_linux_kernel
from ..platforms import CPU_MODELS, QEMU
from ..screen import VGA_TEXT_BASE, VGA_TEXT_BYTES, Screen
from .base import RFLAGS_IF, Machine, MachineSpec
from .channel import deadline_left
from .stop import RunResult, Stop

EFLAGS = re.compile(r"\bEFL=([0-9a-f]+)")  # HMP's `info registers`


def qemu_command(spec: MachineSpec, kernel32: Path, console_port: int, log_port: int,
                 qmp_path: Path, debugcon_port: int | None = None) -> list[str]:
    """The QEMU command line for a spec (CONTRACT.md section 1).

    `debugcon_port`: port 0xE9's output goes there (a direct boot's second console source).
    """
    accel = "kvm" if spec.platform == "qemu-kvm" else "tcg"
    cpu = spec.cpu or CPU_MODELS[(spec.platform, spec.backend)]
    cmd = [QEMU, "-machine", "pc", "-accel", accel, "-cpu", cpu, "-m", str(spec.memory_mib),
           # Nothing taken from the host: no display, no sound backend, no network.
           "-nodefaults", "-vga", "std", "-display", "none", "-audiodev", "none,id=nosound",
           "-nic", "none", "-no-reboot", "-no-shutdown",
           "-chardev", f"socket,id=com1,host=127.0.0.1,port={console_port}",
           "-serial", "chardev:com1",
           "-chardev", f"socket,id=com2,host=127.0.0.1,port={log_port}",
           "-serial", "chardev:com2",
           "-chardev", f"socket,id=qmp,path={qmp_path}",
           "-mon", "chardev=qmp,mode=control",
           "-kernel", str(kernel32), "-append", spec.cmdline]
    if spec.disk is not None:
        cmd += ["-drive", f"file={spec.disk.path},format={spec.disk.fmt},if=ide,index=0,"
                "media=disk"]
    if debugcon_port is not None:
        cmd += ["-chardev", f"socket,id=e9,host=127.0.0.1,port={debugcon_port}",
                "-device", "isa-debugcon,iobase=0xe9,chardev=e9"]
    if spec.direct:
        # A guest booted directly ends itself on port 0xF4 as it would under a hypervisor
        # (CONTRACT.md 4): QEMU then exits with status (N << 1) | 1 (lab.kut reads it).
        cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if spec.gdb_port is not None:
        cmd += ["-gdb", f"tcp:127.0.0.1:{spec.gdb_port}", "-S"]
    if spec.modules and spec.direct and is_linux_kernel(kernel32):
        # A Linux kernel booted directly: QEMU's Linux loader takes one initrd, a bare path.
        if len(spec.modules) > 1:
            raise LabError(f"a Linux kernel takes one initrd; {len(spec.modules)} modules "
                           "were given")
        cmd += ["-initrd", str(spec.modules[0].path)]
    elif spec.modules:
        # QEMU separates modules with commas, so a comma inside a string is doubled.
        mods = [f"{m.path} {m.string}".replace(",", ",,") for m in spec.modules]
        cmd += ["-initrd", ",".join(mods)]
    return cmd


class QemuMachine(Machine):
    def __init__(self, spec: MachineSpec, workdir: Path, kernel32: Path,
                 echo: Callable[[str, str], None] | None = None) -> None:
        super().__init__(spec, workdir, echo)
        self.kernel32 = kernel32
        self.accel = "kvm" if spec.platform == "qemu-kvm" else "tcg"
        # Unix socket paths are limited to 108 bytes, and run folders can be deep.
        self._sockdir = Path(tempfile.mkdtemp(prefix="lab-qmp-"))
        self.qmp_path = self._sockdir / "qmp.sock"
        self.qmp: QEMUMonitorProtocol | None = None
        self._events_file = workdir / "qmp-events.jsonl"

    @property
    def cpu_model(self) -> str:
        return self.spec.cpu or CPU_MODELS[(self.spec.platform, self.spec.backend)]

    def _build_command(self) -> list[str]:
        if not self.kernel32.is_file():
            raise LabError(f"{self.kernel32} does not exist: run `lab build`")
        try:
            self.qmp = QEMUMonitorProtocol(str(self.qmp_path), server=True)
        except (QMPError, OSError) as e:
            raise InfraError(f"cannot open the QMP socket {self.qmp_path}: {e}") from None
        return qemu_command(self.spec, self.kernel32, self.console.port, self.log.port,
                            self.qmp_path, self.console.extra_port)

    def _after_spawn(self, deadline: float) -> None:
        try:
            self.qmp.accept(timeout=deadline_left(deadline))
        except (QMPError, OSError, TimeoutError) as e:
            raise InfraError(f"QEMU did not connect its QMP monitor ({type(e).__name__})") from None
        self.qmp.settimeout(30)

    def _record(self, event: dict) -> None:
        self.events.append(event)
        with open(self._events_file, "a") as f:
            f.write(json.dumps(event) + "\n")

    def _poll_events(self, wait: float) -> Stop | None:
        if self.qmp is None:
            return None
        try:
            event = self.qmp.pull_event(wait=float(wait)) if wait > 0 else self.qmp.pull_event()
        except (TimeoutError, QMPError, OSError, EOFError):
            return None
        if event is None:
            return None
        self._record(event)
        if event.get("event") == "SHUTDOWN":
            reason = event.get("data", {}).get("reason", "")
            # With -no-reboot a reset (triple fault included) arrives as SHUTDOWN guest-reset.
            return Stop.GUEST_RESET if reason == "guest-reset" else Stop.SHUTDOWN
        return None

    def hmp(self, command: str) -> str:
        """A human monitor command (`info registers`, ...)."""
        return self.qmp_cmd("human-monitor-command", **{"command-line": command})

    def _cpu_state(self) -> tuple[str, bool] | None:
        regs = self.hmp("info registers")
        flags = EFLAGS.search(regs)
        return (regs, bool(int(flags.group(1), 16) & RFLAGS_IF)) if flags else None

    def qmp_cmd(self, name: str, **args):
        if self.qmp is None or not self.running:
            raise LabError("QEMU is not running")
        try:
            return self.qmp.cmd(name, **args)
        except (QMPError, OSError) as e:
            raise LabError(f"QMP {name} failed: {e}") from None

    def disk_flushes(self) -> int:
        """FLUSH CACHE commands the machine's disk has completed (QMP query-blockstats):
        what the hypervisor passed on, not what the guest asked."""
        reply = self.qmp_cmd("query-blockstats")
        if isinstance(reply, dict):  # the whole response, from older qemu.qmp
            reply = reply.get("return", [])
        stats = [d["stats"] for d in reply if d.get("stats")]
        if not stats:
            raise LabError("QEMU reports no disk")
        return sum(st.get("flush_operations", 0) for st in stats)

    def screen(self) -> Screen:
        path = self.workdir / f"vga-{time.monotonic_ns()}.bin"
        self.qmp_cmd("pmemsave", val=VGA_TEXT_BASE, size=VGA_TEXT_BYTES, filename=str(path))
        try:
            return Screen.from_bytes(path.read_bytes())
        finally:
            path.unlink(missing_ok=True)

    def screendump(self, png: Path) -> Path:
        self.qmp_cmd("screendump", filename=str(png), format="png")
        return png

    def send_key(self, keys: list[str]) -> None:
        """Press keys together (QMP send-key with qcodes such as 'shift', 'a', 'ret')."""
        self.qmp_cmd("send-key", keys=[{"type": "qcode", "data": k} for k in keys])

    def type_text(self, text: str, echo: Callable[[str], None] | None = None) -> None:
        # QEMU paces send-key itself (each key is held, then released, in virtual time).
        for ch in text:
            self.send_key(qcodes(ch))
        if echo is not None:
            echo(text)

    def press_chord(self, keys: list[str]) -> None:
        chord_keysyms(keys)  # the same chords as on Bochs
        self.send_key(keys)

    def _collect(self, result: RunResult) -> None:
        if not self.running:
            return
        # The machine is paused (-no-shutdown) or still running: read it as it is now.
        result.screen = self.screen()
        result.registers = self.hmp("info registers")
        try:
            self.screendump(self.workdir / "screen.png")
        except LabError:
            pass

    def _stop_emulator(self) -> None:
        if self.qmp is not None and self.running:
            try:
                self.qmp.cmd("quit")
            except (QMPError, OSError, EOFError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass  # close() kills it

    def close(self) -> None:
        super().close()
        if self.qmp is not None:
            try:
                self.qmp.close()
            except Exception:
                pass
            self.qmp = None
        shutil.rmtree(self._sockdir, ignore_errors=True)
