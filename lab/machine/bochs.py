"""Bochs driven through its built-in debugger on stdin/stdout, serial ports on loopback sockets.

Measured here (Bochs 2.7): the debugger prompt `<bochs:N> ` comes on stdout, also through a
pipe; SIGINT stops the simulation at a prompt; `writemem` saves the VGA text memory; `r`,
`sreg` and `creg` print the registers; writing `Shutdown` to port 0x8900 ends the simulation.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pexpect.fdpexpect
import psutil

from ..errors import InfraError, LabError
from ..iso import LINUX_LOADER, LOADER, cached_iso
from ..keys import chord_keysyms, vnc_key
from ..platforms import BOCHS, BOCHS_BIOS, BOCHS_VGABIOS, CPU_MODELS
from ..render import render_png
from ..screen import VGA_TEXT_BASE, VGA_TEXT_BYTES, Screen
from .base import RFLAGS_IF, Machine, MachineSpec
from .bochs_e9 import E9Demux
from .channel import deadline_left
from .rfb import RfbKeyboard
from .stop import RunResult, Stop

EFLAGS = re.compile(r"\beflags 0x([0-9a-f]+)")  # the debugger's `r`

PROMPT = r"<bochs:\d+> "
MAGIC_BREAK = "Magic breakpoint"  # what the debugger prints on `xchg bx,bx`
IPS = 50_000_000  # with sync=none the TSC counts instructions; this sets emulated time
XP_LINE = re.compile(r"^0x[0-9a-f]+ <[^>]*>:\s+((?:0x[0-9a-f]{2}\s*)+)$", re.M)
ECHO_WAIT = 5.0  # seconds for the debugger to read a `c`
BREAK_WAIT = 10.0  # seconds for a prompt after one SIGINT
BREAK_TRIES = 3
TCP_ESTABLISHED = "01"  # the state column of /proc/net/tcp
KEY_CHUNK = 4  # characters: with shift, make and break codes, at most 12 of Bochs' 16 slots


# Linux's tgkill(2): a signal for one thread of a process. Numbers from asm/unistd_64.h
# and asm-generic/unistd.h.
SYS_TGKILL = {"x86_64": 234, "aarch64": 131}
_libc = ctypes.CDLL(None, use_errno=True)


def interrupt_main_thread(pid: int) -> None:
    """SIGINT for Bochs' main thread, which runs the CPU loop and its debugger. A signal for
    the process may land on its VNC server thread instead and interrupt its socket reads
    while keys are being typed (the keys lost in m4 runs turned out to be vncdotool's, see
    machine/rfb.py; this keeps the signal where it belongs all the same)."""
    number = SYS_TGKILL.get(os.uname().machine)
    if number is None:
        os.kill(pid, signal.SIGINT)
        return
    if _libc.syscall(number, pid, pid, signal.SIGINT) != 0:
        err = ctypes.get_errno()
        if err != errno.ESRCH:  # ended meanwhile: the caller sees it exit
            raise OSError(err, f"tgkill: {os.strerror(err)}")


# Every choice Bochs would otherwise make from the host, named: Debian's Bochs loads its ALSA
# sound driver by default, and its mixer thread aborts ("buffer overflow detected") on a
# machine with no sound card (measured on a fresh Debian 12 machine). The display is the rfb
# (VNC) server on loopback, which needs no X; no NIC, parallel port or mouse.
HOST_INDEPENDENT = [
    'display_library: rfb, options="timeout=0"',
    "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy",
    "speaker: enabled=0",
    "parport1: enabled=0",
    "mouse: enabled=0",
]


def bochsrc(spec: MachineSpec, iso: Path, console_port: int, log_port: int) -> str:
    cpu = spec.cpu or CPU_MODELS[("bochs", spec.backend)]
    # reset_on_triple_fault=0: a triple fault stops the run instead of rebooting in a loop;
    # ignore_bad_msrs=0: unknown MSRs #GP as on hardware (DESIGN.md).
    return "\n".join([
        f"megs: {spec.memory_mib}",
        f"cpu: model={cpu}, count=1, ips={spec.ips or IPS}, reset_on_triple_fault=0, "
        f"ignore_bad_msrs={int(spec.linux)}",
        "clock: sync=none, time0=local",
        f"romimage: file=/{BOCHS_BIOS}, options=fastboot",
        f"vgaromimage: file=/{BOCHS_VGABIOS}",
        f"ata1-master: type=cdrom, path={iso}, status=inserted",
        *([f"ata0-master: type=disk, path={spec.disk.path}, mode=flat"] if spec.disk else []),
        "boot: cdrom",
        f"com1: enabled=1, mode=socket-client, dev=127.0.0.1:{console_port}",
        f"com2: enabled=1, mode=socket-client, dev=127.0.0.1:{log_port}",
        "magic_break: enabled=1",
        # a direct boot has no hypervisor to forward port 0xE9: Bochs' hack prints it
        *(["port_e9_hack: enabled=1"] if spec.direct else []),
        *HOST_INDEPENDENT,
        "log: bochs.log",
        "panic: action=fatal",
        "error: action=report",
        # Bochs' SIGINT handler logs "Ctrl-C detected" under the log's lock: a break that
        # lands while the simulation writes the log deadlocks Bochs (seen once in ~50-160
        # screen reads under the hypervisor, whose SVM exits Bochs logs). Info lines off,
        # but the CPU's, which hold a panic's registers.
        "info: action=ignore, cpu0=report",
        "",
    ])


def panic_message(log: Path) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    found = re.findall(r">>PANIC<< (.*)", text)
    return f"Bochs panic: {found[-1].strip()}" if found else ""


def panic_registers(log: Path) -> str:
    """The last CPU state dump (`| EAX=...` lines) Bochs wrote to its log on a panic."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    block: list[str] = []
    for line in reversed(lines):
        _, bar, rest = line.partition("] | ")
        if bar:
            block.append(rest)
        elif block:
            break
    return "\n".join(reversed(block))


class BochsMachine(Machine):
    accel = "bochs"

    def __init__(self, spec: MachineSpec, workdir: Path, iso_cache: Path,
                 echo: Callable[[str, str], None] | None = None) -> None:
        super().__init__(spec, workdir, echo)
        self.iso_cache = iso_cache
        self.dbg: pexpect.fdpexpect.fdspawn | None = None
        self._out = None
        self._e9: E9Demux | None = None  # direct boots: port 0xE9 out of the debugger's stdout
        self._at_prompt = False

    @property
    def cpu_model(self) -> str:
        return self.spec.cpu or CPU_MODELS[("bochs", self.spec.backend)]

    def _build_command(self) -> list[str]:
        iso = cached_iso(self.iso_cache, self.spec.hypervisor, self.spec.cmdline,
                         self.spec.modules, LINUX_LOADER if self.spec.linux else LOADER)
        rc = self.workdir / "bochsrc"
        rc.write_text(bochsrc(self.spec, iso, self.console.port, self.log.port))
        return [BOCHS, "-q", "-f", str(rc)]

    def _spawn(self) -> subprocess.Popen:
        # The debugger talks on stdout: keep it as a pipe and copy it to emulator.out. With
        # port 0xE9's output on stdout too (direct boots), Bochs' own complaints go straight
        # to emulator.out, so that they never land on the guest console.
        if self.spec.direct:
            with open(self.workdir / "emulator.out", "ab") as err:
                return subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=err,
                                        **self._popen_extra())
        return subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                **self._popen_extra())

    def _after_spawn(self, deadline: float) -> None:
        if self._out is not None:  # a second start after a transient failure
            self._out.close()
        if self._e9 is not None:
            self._e9.close()
        self._out = open(self.workdir / "emulator.out", "a")
        fd = self.proc.stdout.fileno()
        if self.spec.direct:
            self._e9 = E9Demux(fd, self.console.extra_port)
            fd = self._e9.fd
        self.dbg = pexpect.fdpexpect.fdspawn(fd, encoding="utf-8",
                                             codec_errors="replace", logfile=self._out)
        self._wait_prompt(deadline_left(deadline), "start")
        self._command("c")  # the debugger stops before the first instruction

    def _transient_start_failure(self) -> bool:
        # Seen once in ~50 parallel starts: Bochs' VNC display found none of ports 5900-5949
        # free and exited. Another start a moment later binds as usual.
        return "RFB could not bind" in self.emulator_output()

    @property
    def paused(self) -> bool:
        return self._at_prompt

    def _wait_prompt(self, timeout: float, why: str) -> None:
        try:
            self.dbg.expect(PROMPT, timeout=timeout)
        except pexpect.TIMEOUT:
            raise InfraError(
                f"Bochs' debugger gave no prompt ({why}) within {timeout:.0f} s") from None
        except pexpect.EOF:
            raise InfraError(f"Bochs exited ({why}); see bochs.log") from None
        self._at_prompt = True

    def _command(self, line: str) -> str:
        """Run one debugger command at the prompt; return what it printed."""
        if line == "c" and self._e9 is not None:
            self._e9.running(echo=b"c\n")  # readline echoes the command (stdin is a pipe)
        self.proc.stdin.write(f"{line}\n".encode())
        self.proc.stdin.flush()
        self._at_prompt = False
        if line == "c":
            self._wait_echo()
        if line in ("c", "quit"):
            return ""
        self._wait_prompt(30, line)
        return self.dbg.before

    def debugger(self, line: str, timeout: float = 60) -> str:
        """One Bochs debugger command with the simulation stopped; what it printed. `c`
        runs until the simulation stops again (a breakpoint) or `timeout` passes."""
        self._break()
        if line != "c":
            return self._command(line)
        self._command("c")
        self._wait_prompt(timeout, "a breakpoint")
        return self.dbg.before

    def resume(self) -> None:
        """Let a simulation stopped at the debugger's prompt run on."""
        if self._at_prompt:
            self._command("c")

    def _wait_echo(self) -> None:
        """Wait until the debugger has read `c`: a SIGINT that arrives before would be lost
        (continuing clears Bochs' interrupt request), and the next break would wait in vain.
        readline echoes the line it read (measured: `c\n`); a Bochs without readline does
        not, hence the short limit."""
        if self._e9 is not None:
            self._e9.echoed.wait(ECHO_WAIT)
            return
        try:
            self.dbg.expect_exact("c\n", timeout=ECHO_WAIT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass

    def _break(self) -> bool:
        """Stop the simulation at a prompt, unless it is stopped. True when the lab stopped
        it (the caller lets it run on after); False when it stopped by itself, at a magic
        breakpoint: the hypervisor's end sequence, which running on would finish, and the
        machine would be gone (seen: a screen read then continued a guest's end)."""
        if self._at_prompt:
            return False
        if not self.running:
            raise LabError("Bochs is not running")
        try:  # a prompt may already be waiting (magic break)
            self._wait_prompt(0.05, "check")
            return False
        except InfraError:
            pass
        # Once more if the first SIGINT went astray (a second one at the prompt only sets
        # a flag that the next `c` clears).
        for attempt in range(BREAK_TRIES):
            interrupt_main_thread(self.proc.pid)
            try:
                self._wait_prompt(BREAK_WAIT, "break")
                # the guest's magic break may have come first, the SIGINT then spent
                return MAGIC_BREAK not in (self.dbg.before or "")
            except InfraError:
                if attempt == BREAK_TRIES - 1 or not self.running:
                    raise
        return True

    def instructions(self) -> int:
        """Instructions executed since power-on: Bochs' exact, deterministic clock."""
        was_running = self._break()
        try:
            out = self._command("info cpu") if not was_running else self.dbg.before
            found = re.findall(r"t=(\d+)", out or "")
            if not found:
                raise LabError("Bochs did not say its instruction count")
            return int(found[-1])
        finally:
            if was_running:
                self._command("c")

    def _cpu_state(self) -> tuple[str, bool] | None:
        if self._at_prompt or not self.running:
            return None
        was_running = self._break()
        try:
            regs = self._command("r")
        finally:
            if was_running:
                self._command("c")
        flags = EFLAGS.search(regs or "")
        return (regs, bool(int(flags.group(1), 16) & RFLAGS_IF)) if flags else None

    def _poll_events(self, wait: float) -> Stop | None:
        if self._at_prompt:
            return Stop.DEBUGGER_STOP
        try:
            self.dbg.expect(PROMPT, timeout=wait)
        except pexpect.TIMEOUT:
            return None
        except pexpect.EOF:
            self.proc.wait(timeout=5)
            return None
        self._at_prompt = True  # a magic break (end sequence) or a panic stopped it
        return Stop.DEBUGGER_STOP

    def _read_physical(self, addr: int, size: int) -> bytes:
        # `xp` reads physical memory. `writemem` takes a linear address in the CPU's current
        # context, and fails when Bochs stopped inside a guest whose page tables do not map
        # 0xB8000 (measured: "physical address not available for linear 0xb8000").
        out = self._command(f"xp /{size}bx {addr:#x}")
        return bytes(int(b, 16) for line in XP_LINE.findall(out) for b in line.split())

    def _save_screen(self) -> Screen:
        try:
            return Screen.from_bytes(self._read_physical(VGA_TEXT_BASE, VGA_TEXT_BYTES))
        except ValueError as e:
            raise LabError(f"Bochs did not show the screen: {e}") from None

    def run_until_written(self, addr: int, done: Callable[[Callable[[int, int], bytes]], bool],
                          timeout: float) -> int:
        """Run until a write to physical `addr` after which `done(read)` holds, and return
        the instruction count then: exact, as the simulation stops on the writing
        instruction (a debugger watchpoint). `read(addr, size)` reads physical memory.
        Under a hypervisor the count is everything the CPU ran, host and guest."""
        deadline = time.monotonic() + timeout
        self._break()
        self._command(f"watch w {addr:#x} 1")
        try:
            while True:
                self._command("c")
                self._wait_prompt(deadline_left(deadline), f"a write to {addr:#x}")
                found = re.findall(r"t=(\d+)", self.dbg.before or "")
                if not found:
                    raise LabError("Bochs did not say its instruction count")
                if done(self._read_physical):
                    return int(found[-1])
        finally:
            if self._at_prompt:
                self._command("unwatch")
                self._command("c")

    def screen(self) -> Screen:
        was_running = self._break()
        try:
            return self._save_screen()
        finally:
            if was_running:
                self._command("c")

    def _vnc_port(self) -> int:
        """The port Bochs' rfb display listens on: the first free one of 5900-5949, read off
        the process's own listening socket (its log line is off, see bochsrc's info line)."""
        try:
            conns = psutil.Process(self.proc.pid).net_connections(kind="tcp")
        except psutil.Error as e:
            raise InfraError(f"cannot read Bochs' sockets: {e}") from None
        ports = sorted(c.laddr.port for c in conns
                       if c.status == psutil.CONN_LISTEN and 5900 <= c.laddr.port < 5950)
        if not ports:
            raise LabError("Bochs' rfb display is not listening (ports 5900-5949)")
        return ports[0]

    def _wait_vnc_read(self, port: int, client_port: int, timeout: float = 10.0) -> None:
        """Until Bochs' end of our VNC connection has nothing left to read (its socket's
        receive queue in /proc/net/tcp): its VNC thread has queued every key event sent."""
        ends = (f":{port:04X}", f":{client_port:04X}")
        deadline = time.monotonic() + timeout
        while True:
            unread = None
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                f = line.split()
                if (f[1].endswith(ends[0]) and f[2].endswith(ends[1])
                        and f[3] == TCP_ESTABLISHED):
                    unread = int(f[4].split(":")[1], 16)
            if unread is None:
                raise InfraError("Bochs' VNC display closed the connection")
            if unread == 0:
                return
            if time.monotonic() > deadline:
                raise InfraError(f"Bochs' VNC display left {unread} bytes unread for "
                                 f"{timeout:.0f} s")
            time.sleep(0.005)  # a queue drained by another process gives no event to wait on

    def type_text(self, text: str, echo: Callable[[str], None] | None = None) -> None:
        """Type on the PS/2 keyboard through Bochs' rfb display (a VNC server on loopback).

        Bochs keeps 16 scancodes and takes all keys of one VNC burst at the same emulated
        instant, dropping the rest (measured: "internal keyboard buffer full"). So keys go in
        chunks small enough to fit, and `echo(chunk)` waits for the guest to have taken a
        chunk (for a shell: its echo) before the next.
        """
        for ch in text:
            vnc_key(ch)  # refuses what a US keyboard cannot type, before any key goes
        with self._keyboard() as send:
            for i in range(0, len(text), KEY_CHUNK):
                chunk = text[i:i + KEY_CHUNK]
                send(lambda kb, keys=chunk: [kb.press(ch) for ch in keys])
                if echo is not None:
                    echo(chunk)

    def press_chord(self, keys: list[str]) -> None:
        keysyms = chord_keysyms(keys)
        with self._keyboard() as send:
            send(lambda kb: kb.chord(keysyms))

    @contextlib.contextmanager
    def _keyboard(self):
        """A VNC keyboard; `send(put)` puts key events on it while the simulation is stopped.

        Bochs' VNC thread queues key events and its main thread empties the queue with no
        lock between them (Bochs 2.7 rfb.cc: bKeyboardInUse is a plain flag), so an event
        queued meanwhile can be lost. The keys go in while the simulation is stopped, and it
        runs on once the VNC thread has read them."""
        port = self._vnc_port()
        keyboard = RfbKeyboard(port)

        def send(put: Callable[[RfbKeyboard], object]) -> None:
            was_running = self._break()
            put(keyboard)
            self._wait_vnc_read(port, keyboard.local_port)
            if was_running:
                self._command("c")
        try:
            yield send
        finally:
            keyboard.close()

    def _collect(self, result: RunResult) -> None:
        if self.running:
            try:
                self._break()
                result.screen = self._save_screen()
                render_png(result.screen, self.workdir / "screen.png")
                result.registers = "\n".join(self._command(c).strip()
                                             for c in ("r", "sreg", "creg"))
                return
            except InfraError:
                try:  # it was already on its way out (a panic): read what it left, below
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    raise InfraError("Bochs neither stopped at its debugger nor exited") \
                        from None
        # Bochs ended on a panic (a triple fault included): its log holds the CPU state,
        # but the screen is gone with the process.
        result.registers = panic_registers(self.workdir / "bochs.log")
        result.note = panic_message(self.workdir / "bochs.log")

    def _stop_emulator(self) -> None:
        if not self.running:
            return
        if self._at_prompt and self.ended:
            # Let the end sequence finish (Shutdown port), else quit the debugger. With no
            # end line (a timeout, an --expect text seen) there is no sequence to finish.
            self._command("c")
            try:
                self.proc.wait(timeout=5 * self.timeout_factor)
                return
            except subprocess.TimeoutExpired:
                self._break()
        else:
            try:
                self._break()
            except LabError:
                return  # close() kills it
        if self._at_prompt:
            self._command("quit")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def close(self) -> None:
        super().close()
        # Bochs locks a disk image with IMAGE.lock and leaves it when it is killed; the
        # next boot of the same image (a persistence check) would refuse to open it.
        if self.spec.disk is not None:
            Path(f"{self.spec.disk.path}.lock").unlink(missing_ok=True)
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._e9 is not None:
            self._e9.close()
            self._e9 = None
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f and f.close()
                except OSError:
                    pass
