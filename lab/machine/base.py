"""One emulated machine running a hypervisor: it owns the emulator process and its channels.

The model is QEMU's own `QEMUMachine`: whoever starts a process owns it, a failed start raises
an error carrying the command line and the emulator's output, and `close()` always reaps.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..contract import parse_marker, summarize_log
from ..disks import Disk, write_back
from ..errors import InfraError, LabError, MachineHung, StepTimeout
from ..iso import Module
from ..screen import Screen
from .channel import Channel, deadline_left
from .guests import NOT_MULTIPLEXED, Guests, guest_channel
from .stop import HUNG, RunResult, Stop
from .watch import Watch, Watcher

# How much slower than KVM a platform is; every step deadline is scaled by it.
RFLAGS_IF = 1 << 9  # SDM Vol. 3A 2.3, "System Flags and Fields in the EFLAGS Register"
SLOWNESS = {"qemu-kvm": 1.0, "qemu-tcg": 3.0, "bochs": 4.0}
END_GRACE = 10.0  # seconds a hypervisor has, after its end line, to stop the machine itself
# A stalled machine (CONTRACT.md 6): no byte on any channel for STALL_QUIET wall-clock
# seconds, then two looks at the CPU STALL_SAME seconds apart find the same registers with
# interrupts off (halted, or a jump to itself): nothing but an NMI could move it. So a
# hypervisor that halts or spins is failed in seconds, not at each step's deadline.
STALL_QUIET = 2.0
STALL_SAME = 2.0
EXIT_COUNTS_WAIT = 3.0  # wall-clock seconds for an `@lab exits` answer (Bochs: ~0.1 s)
TEARDOWN = 4.0  # seconds of a wall-clock limit kept for the teardown
_PR_SET_PDEATHSIG = 1
_LIVE: weakref.WeakSet[Machine] = weakref.WeakSet()


@dataclass
class MachineSpec:
    """What to boot, where. Paths are host paths; the spec is the reproducible part of a run."""

    platform: str  # qemu-kvm, qemu-tcg or bochs
    backend: str  # the backend the platform was chosen for: vmx or svm
    hypervisor: Path  # the 64-bit Multiboot ELF
    cmdline: str = "backend=auto"
    modules: list[Module] = field(default_factory=list)
    memory_mib: int = 128
    cpu: str | None = None  # None: the platform's model for the backend
    timeout_scale: float = 1.0
    gdb_port: int | None = None  # QEMU: wait for gdb on this port before the first instruction
    disk: Disk | None = None  # the primary-master disk
    direct: bool = False  # `hypervisor` is a guest kernel booted with no hypervisor (baseline)
    linux: bool = False  # direct: that kernel is Linux's (Bochs: GRUB's Linux loader boots it)
    ips: int | None = None  # Bochs: instructions per emulated second (None: bochs.IPS)
    guests: int = 1  # guest modules: with two or more the console is split (lab.machine.guests)

    def scaled(self, seconds: float) -> float:
        return seconds * SLOWNESS.get(self.platform, 4.0) * self.timeout_scale


class ConsoleMismatch(AssertionError):
    """A wait saw its failure pattern, or the run ended before the pattern came."""


def _emulator_child() -> None:
    """Run in the emulator's process before it starts.

    If the lab is killed outright, the kernel kills the emulator too: nothing is orphaned.
    SIGPIPE is ignored, as the lab itself ignores it: a write to a socket the lab has closed
    is then an error the emulator handles, not its death. Bochs died so (status -13) in a
    suite run: its VNC server sent a screen update just after the lab's keyboard client had
    typed `ls` and closed its connection (the subprocess module restores SIGPIPE's default
    for a child otherwise)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def emulator_env(workdir: Path) -> dict[str, str]:
    """The environment an emulator runs in: the same on every host, whatever it has.

    A developer's machine has things a fresh one lacks (a sound card or an ALSA/Pulse setup,
    an X display, a home folder with dot files); an emulator that found them once behaved
    differently on a student's machine. So none reach it: ALSA reads an empty configuration
    (no card, as on a fresh machine), there is no DISPLAY, and HOME is the run's folder.
    """
    empty = workdir / "alsa-none.conf"
    empty.touch()
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "LANG": "C.UTF-8", "HOME": str(workdir), "ALSA_CONFIG_PATH": str(empty)}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def reap_all() -> None:
    """Stop every machine still alive in this process (signal handlers and atexit)."""
    for m in list(_LIVE):
        m.close()


class Machine:
    """Common lifecycle; subclasses say how to start, stop and look at their emulator."""

    accel = "none"

    def __init__(self, spec: MachineSpec, workdir: Path,
                 echo: Callable[[str, str], None] | None = None) -> None:
        self.spec = spec
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self._echo = echo  # called with (channel, line) as lines arrive, for live display
        self.console = Channel("console", workdir / "console.log",
                               on_line=(lambda line: echo("console", line)) if echo else None)
        self.log = Channel("log", workdir / "hypervisor.log", on_line=self._log_line)
        self.guests: Guests | None = None  # several guests: the console split per guest
        if spec.guests > 1:
            self.guests = Guests(spec.guests, workdir)
            self.console.feeders.append(self.guests.feed)
        self.proc: subprocess.Popen | None = None
        self.command: list[str] = []
        self.events: list[dict] = []
        self._ended = threading.Event()
        self._end_line: str | None = None
        self._started_at = 0.0
        self._result: RunResult | None = None
        self._stop_event: Stop | None = None  # a stop seen while waiting for something else
        self._closed = False
        self._stall_look: tuple[float, str] | None = None  # (when, registers) IF=0 last time
        self._next_look = 0.0

    # -- subclass hooks -------------------------------------------------------------------
    def _build_command(self) -> list[str]:
        raise NotImplementedError

    def _after_spawn(self, deadline: float) -> None:
        """Connect control channels (QMP) once the process runs."""

    def _poll_events(self, wait: float) -> Stop | None:
        """Wait up to `wait` s for a machine event; return why it stopped, if it did."""
        if self.proc is not None and wait > 0:
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        return None

    def _collect(self, result: RunResult) -> None:
        """Read the screen and registers of a stopped or ended machine."""

    def _stop_emulator(self) -> None:
        """Ask the emulator to quit (QMP quit, ...); close() kills it if it does not."""

    @property
    def cpu_model(self) -> str:
        raise NotImplementedError

    def _cpu_state(self) -> tuple[str, bool] | None:
        """The CPU's registers as text and whether interrupts are on (RFLAGS.IF), read while
        it runs; None where the platform cannot look without disturbing it."""
        return None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> Machine:
        if not self.spec.hypervisor.is_file():
            raise LabError(f"hypervisor {self.spec.hypervisor} does not exist: run `lab build` "
                           "or pass an existing file")
        self.console.listen()
        if self.spec.direct:  # no hypervisor to forward port 0xE9: the emulator's own hack
            self.console.listen_extra()
        self.log.listen()
        self.command = self._build_command()
        (self.workdir / "command.txt").write_text(shlex.join(self.command) + "\n")
        deadline = time.monotonic() + timeout
        for attempt in (1, 2):
            try:
                self.proc = self._spawn()
            except OSError as e:
                raise InfraError(f"cannot start {self.command[0]}: {e.strerror}") from None
            _LIVE.add(self)
            self._started_at = time.monotonic()
            try:
                self._after_spawn(deadline)
                break
            except InfraError as e:
                if attempt == 1 and self._transient_start_failure():
                    self.proc.kill()
                    self.proc.wait()
                    # It may have connected its serial ports before it gave up: those wait
                    # in the listeners' backlog and would be taken for the next one's, whose
                    # output then never arrives (seen: a Bochs run with empty logs).
                    self.console.drop_pending()
                    self.log.drop_pending()
                    continue
                self._fail_start(str(e))
        try:
            self.console.accept(deadline_left(deadline))
            self.log.accept(deadline_left(deadline))
        except InfraError as e:
            self._fail_start(str(e))
        return self

    def _transient_start_failure(self) -> bool:
        """Did the emulator fail to start for a passing reason, worth one more try?"""
        return False

    def _popen_extra(self) -> dict:
        return {"preexec_fn": _emulator_child, "start_new_session": True,
                "env": emulator_env(self.workdir)}

    def _spawn(self) -> subprocess.Popen:
        with open(self.workdir / "emulator.out", "wb") as out:
            return subprocess.Popen(self.command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, **self._popen_extra())

    def _fail_start(self, why: str) -> None:
        status = self.proc.poll() if self.proc else None
        tail = self.emulator_output().strip().splitlines()[-3:]
        self.close()
        said = f"; it said: {' | '.join(tail)}" if tail else ""
        exited = f" (it exited with status {status})" if status is not None else ""
        raise InfraError(f"{self.spec.platform}: {why}{exited}{said}")

    def emulator_output(self) -> str:
        try:
            return (self.workdir / "emulator.out").read_text(errors="replace")
        except OSError:
            return ""

    def _log_line(self, line: str) -> None:
        if self._echo:
            self._echo("log", line)
        if self.guests is not None:
            self.guests.on_log_line(line)
        mk = parse_marker(line)
        if mk is not None and mk.verb == "end" and not self._ended.is_set():
            self._end_line = line
            self._ended.set()

    @property
    def ended(self) -> bool:
        """The hypervisor wrote its end line."""
        return self._ended.is_set()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- waiting --------------------------------------------------------------------------
    def wait_for(self, pattern: str, timeout: float, failure: str | None = None,
                 channel: str = "console", stall: float | None = STALL_QUIET) -> str:
        """Wait for `pattern` (a regex) on a channel, at most `timeout` s (scaled).

        Fails at once when `failure` appears, when the run ends, when the machine stops, or
        when it stalls after `stall` quiet seconds (None: never).
        """
        gid = guest_channel(channel)
        ch = (self.guest(gid) if gid is not None else
              self.console if channel == "console" else self.log)
        patterns = [re.compile(pattern)]
        if failure:
            patterns.append(re.compile(failure))
        deadline = time.monotonic() + self.spec.scaled(timeout)
        while True:
            idx = ch.expect(patterns, min(0.25, deadline_left(deadline)))
            if idx == 0:
                return ch.match.group(0) if ch.match else pattern
            if idx == 1:
                raise ConsoleMismatch(f"{channel}: saw failure pattern {failure!r}: "
                                      f"{ch.match.group(0) if ch.match else ''}")
            guest_end = getattr(ch, "ended_line", None)
            stopped = (self._ended.is_set() or not self.running or idx == -2
                       or guest_end is not None or self._machine_stopped())
            if stopped:
                if ch.expect(patterns[:1], 0.5) == 0:  # it may have come just before the end
                    return ch.match.group(0) if ch.match else pattern
                why = (f"the run ended ({self._end_line})" if self._ended.is_set()
                       else f"the guest ended ({guest_end})" if guest_end is not None
                       else f"the machine stopped ({self._stop_event or 'exited'})")
                raise ConsoleMismatch(f"{channel}: {why} before {pattern!r} appeared")
            if gid is not None and self.guests is not None and not self.guests.multiplexed:
                raise ConsoleMismatch(f"{channel}: {NOT_MULTIPLEXED}")
            if stall is not None and self._stalled(stall):
                raise MachineHung(f"{channel}: the machine hung before {pattern!r} appeared "
                                  f"({HUNG})")
            if deadline_left(deadline) <= 0:
                raise StepTimeout(f"{channel}: {pattern!r} did not appear within "
                                  f"{self.spec.scaled(timeout):.0f} s")

    def send(self, text: str) -> None:
        """Type text on the guest console (COM1): the focused guest's, with several."""
        self.console.send(text)

    def guest(self, k: int):
        """Guest K's console stream (a Reader with text()); with one guest, the console."""
        if self.guests is None:
            if k != 0:
                raise LabError(f"this run has one guest, not a guest {k}")
            return self.console
        if not 0 <= k < len(self.guests.consoles):
            raise LabError(f"this run has {len(self.guests.consoles)} guests, not a guest {k}")
        return self.guests.consoles[k]

    @property
    def focused(self) -> int:
        return self.guests.focused if self.guests is not None else 0

    def focus(self, k: int, timeout: float = 10) -> None:
        """Move the focus (keyboard, COM1 input, screen) to guest K: its digit on COM2, then
        `@lab focus guest=K` on the log (CONTRACT.md 10). `timeout` is scaled."""
        if self.guests is None:
            self.guest(k)  # one guest: it has the focus already
            return
        self._move_focus(k, lambda: self.log.send(str(k).encode()), timeout)

    def focus_by_hotkey(self, k: int, timeout: float = 10) -> None:
        """Move the focus to guest K with Ctrl+Alt+F(K+1) on the machine's keyboard, then
        `@lab focus guest=K` on the log (CONTRACT.md 10). `timeout` is scaled."""
        if self.guests is None:
            raise LabError("the focus hotkey needs several guests")
        self._move_focus(k, lambda: self.press_chord(["ctrl", "alt", f"f{k + 1}"]), timeout)

    def _move_focus(self, k: int, ask: Callable[[], None], timeout: float) -> None:
        self.guest(k)
        moves = self.guests.focus_moves
        ask()

        def stopped() -> str | None:
            if self._ended.is_set():
                return f"the run ended ({self._end_line})"
            if not self.running or self._machine_stopped():
                return f"the machine stopped ({self._stop_event or 'exited'})"
            return None
        self.guests.wait_focus(k, moves, self.spec.scaled(timeout), stopped)

    def type_text(self, text: str, echo: Callable[[str], None] | None = None) -> None:
        """Type text on the machine's PS/2 keyboard (not the serial console).

        `echo(part)` is called after each part typed, to wait until the guest has taken it.
        """
        raise LabError(f"{self.spec.platform} has no keyboard input")

    def press_chord(self, keys: list[str]) -> None:
        """Keys held together on the PS/2 keyboard, named as QMP qcodes (lab/keys.py)."""
        raise LabError(f"{self.spec.platform} has no keyboard input")

    def console_text(self) -> str:
        return self.console.text()

    def log_text(self) -> str:
        return self.log.text()

    def wait_end(self, timeout: float, expect: Sequence[Watch] = (),
                 fail: Sequence[Watch] = (), wall: bool = False,
                 stall: float | None = STALL_QUIET) -> RunResult:
        """Wait for the run's end (end line, reset, exit or deadline) and collect its state.

        `expect` and `fail` end the run early, as passed or failed, when one of their texts
        appears (for a guest that never ends, such as an OS at its prompt). The deadline is
        `timeout` seconds scaled by the platform, or exactly `timeout` wall-clock seconds from
        the machine's start when `wall` is set (what a user gave on the command line). A
        machine that stalls after `stall` quiet seconds ends the wait as `hung` (None: never;
        longer for a scenario that waits for the hypervisor's own watchdog).
        """
        if self._result is not None:
            return self._result
        started = self._started_at or time.monotonic()
        # A wall-clock limit holds the teardown too (exit counts, screen, stopping the
        # emulator): the wait ends early enough to leave it its share.
        end = (started + timeout) if wall else time.monotonic() + self.spec.scaled(timeout)
        deadline = end - min(TEARDOWN, timeout / 4) if wall else end
        watcher = Watcher(self, expect, fail)
        stop = self._stop_event
        while stop is None:
            if self._ended.wait(0):
                stop = Stop.END_LINE
            elif (hit := watcher.check()) is not None:
                stop = hit
            elif not self.running:
                stop = Stop.EMULATOR_EXIT
            elif deadline_left(deadline) <= 0:
                stop = Stop.TIMEOUT
            elif stall is not None and self._stalled(stall):
                stop = Stop.HUNG
            else:
                stop = self._poll_events(min(0.25, deadline_left(deadline)))
        if stop == Stop.END_LINE:
            self._await_own_stop()
        elif stop not in (Stop.TIMEOUT, Stop.HUNG, Stop.EXPECTED, Stop.FAILURE_PATTERN) \
                and self._ended.wait(2.0):
            stop = Stop.END_LINE  # the machine stopped a moment before the log pump read the line
        if stop not in (Stop.EXPECTED, Stop.FAILURE_PATTERN):
            if (watcher.expect or watcher.fail) and not self.running:
                # The end line comes over the log channel; the console's last bytes may still
                # be on their way (seen under load: 'PASS: ' read after the verdict). A
                # stopped machine closes its console once the pump has read everything.
                self.console.wait_closed(2.0 * self.timeout_factor)
            if late := watcher.check(force=True):
                stop = late  # the text came just before the machine stopped
        screen = None
        if stop in (Stop.EXPECTED, Stop.FAILURE_PATTERN, Stop.TIMEOUT) and self.running \
                and not self.spec.direct:
            # The run will not end by itself: ask for its exit counts. The screen first, as
            # the guest may end meanwhile and take it along (seen: a guest that powers off
            # right after drawing the text a run waited for).
            try:
                screen = self.screen()
            except LabError:
                pass
            self.exit_counts(min(EXIT_COUNTS_WAIT, max(0.0, deadline_left(end) - 1.5)))
        if self.running and self.paused:
            self.log.wait_drained(2.0)  # it sends nothing more: no quiet time to wait out
        else:
            self.log.wait_closed(min(0.5 if self.running else 2.0,
                                     max(0.1, deadline_left(end))))
        result = self._finish(stop, watcher, screen)
        return result

    def exit_counts(self, timeout: float = EXIT_COUNTS_WAIT) -> dict[str, int]:
        """The hypervisor's exit counts by reason now: a '?' on the log channel asks for an
        `@lab exits` line (CONTRACT.md 3). {} from a hypervisor that does not answer within
        `timeout` wall-clock seconds (the contract makes it optional)."""
        if self.running:
            try:
                self.log.send(b"?")
                # an end line meanwhile ends the wait too: the run is over
                self.log.expect([re.compile(r"@lab exits [^\r\n]*\r?\n"),
                                 re.compile(r"@lab end ")], timeout)
            except (LabError, OSError):
                pass
        return summarize_log(self.log_text()).exits

    def _stalled(self, quiet: float = STALL_QUIET) -> bool:
        """Has the machine stalled (see STALL_QUIET)? Looks at the CPU at most every
        STALL_SAME seconds, and only after `quiet` seconds without traffic."""
        now = time.monotonic()
        quiet_since = max(self.console.last_traffic, self.log.last_traffic, self._started_at)
        if now - quiet_since < quiet or now < self._next_look:
            return False
        self._next_look = now + STALL_SAME
        try:
            state = self._cpu_state()
        except LabError:
            state = None
        before, self._stall_look = self._stall_look, None
        if state is None or state[1]:
            return False
        self._stall_look = (now, state[0])
        return before is not None and before[0] > quiet_since and before[1] == state[0]

    def _machine_stopped(self) -> bool:
        """Poll the emulator's events without waiting; remember a stop for wait_end."""
        if self._stop_event is None:
            self._stop_event = self._poll_events(0)
        return self._stop_event is not None

    def _await_own_stop(self) -> None:
        """After the end line, give the hypervisor its grace to stop the machine itself."""
        deadline = time.monotonic() + END_GRACE * self.timeout_factor
        while self.running and deadline_left(deadline) > 0:
            if self._poll_events(min(0.25, deadline_left(deadline))) is not None:
                return

    @property
    def paused(self) -> bool:
        """The emulator is alive but runs no instruction (Bochs at its debugger's prompt)."""
        return False

    @property
    def timeout_factor(self) -> float:
        return self.spec.scaled(1.0)

    def _finish(self, stop: Stop, watcher: Watcher | None = None,
                screen: Screen | None = None) -> RunResult:
        summary = summarize_log(self.log_text())
        result = RunResult(
            platform=self.spec.platform, accel=self.accel, cpu=self.cpu_model,
            backend=summary.backend or self.spec.backend, stop=stop,
            end_code=summary.end_code, end_reason=summary.end_reason,
            emulator_status=self.proc.poll() if self.proc else None,
            seconds=time.monotonic() - self._started_at, workdir=self.workdir,
            command=self.command, summary=summary, events=self.events)
        if watcher is not None and watcher.expect:
            result.expected = [w.describe() for w in watcher.expect]
        if watcher is not None and watcher.seen is not None:
            result.matched = watcher.seen.describe()
        try:
            self._collect(result)
        except LabError as e:  # the verdict stands without the screen; say why it is missing
            result.registers = result.registers or f"(not collected: {e})"
        if result.screen is None:
            result.screen = screen  # read a moment before, while the machine still ran
        if result.screen is not None:
            (self.workdir / "screen.txt").write_text(result.screen.dump() + "\n")
        if result.registers:
            (self.workdir / "registers.txt").write_text(result.registers + "\n")
        (self.workdir / "run.json").write_text(json.dumps(result.record(), indent=2) + "\n")
        self._result = result
        self._stop_emulator()
        return result

    def screen(self) -> Screen:
        """The text screen now."""
        raise LabError(f"{self.spec.platform} cannot read the screen while running")

    def power_off(self) -> None:
        self._stop_emulator()
        self.close()

    def disk_flushes(self) -> int:
        """FLUSH CACHE commands the machine's disk has completed."""
        raise LabError(f"{self.spec.platform} does not count its disk's flushes")

    def close(self) -> None:
        """Stop the emulator and release everything; safe to call twice, never raises."""
        if self._closed:
            return
        self._closed = True
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        elif self.proc is not None:
            self.proc.wait()
        if self.spec.disk is not None and self.spec.disk.write_back:
            try:  # several guests' persistent disks: the run's writes go back to each image
                write_back(self.spec.disk)
            except OSError as e:
                (self.workdir / "write-back-error.txt").write_text(f"{e}\n")
        self.console.close()
        self.log.close()
        _LIVE.discard(self)

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
