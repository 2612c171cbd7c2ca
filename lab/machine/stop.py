"""How a run ended: why it stopped (run.json's `stop`, README "Runs and their files") and
everything recorded about it."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..contract import EndCode, LogSummary
from ..screen import Screen

HUNG = "no output, the CPU stuck with interrupts off"


class Stop(StrEnum):
    END_LINE = "end-line"  # the hypervisor's `@lab end` line: its verdict is the run's
    EXPECTED = "expected"  # a text the run waited for (--expect) appeared
    FAILURE_PATTERN = "failure-pattern"  # a text that fails the run (--fail) appeared
    GUEST_RESET = "guest-reset"  # QEMU: a triple fault or reset request (-no-reboot)
    SHUTDOWN = "shutdown"  # QEMU: the machine powered off without an end line
    DEBUGGER_STOP = "debugger-stop"  # Bochs: a panic or magic break stopped the simulation
    EMULATOR_EXIT = "emulator-exit"  # the emulator process ended without an end line
    TIMEOUT = "timeout"  # the deadline passed
    HUNG = "hung"  # no output and the CPU stuck with interrupts off (a stall)


@dataclass
class RunResult:
    """How one run ended, and everything recorded about it."""

    platform: str
    accel: str
    cpu: str
    backend: str  # the one the hypervisor reported, else the one asked for
    stop: Stop
    end_code: int | None
    end_reason: str | None
    emulator_status: int | None
    seconds: float
    workdir: Path
    command: list[str]
    summary: LogSummary
    screen: Screen | None = None
    registers: str = ""
    events: list[dict] = field(default_factory=list)
    note: str = ""  # what the emulator itself said about the stop (a Bochs panic)
    expected: list[str] = field(default_factory=list)  # texts that were to end the run passed
    matched: str | None = None  # the expect or fail text that ended it

    @property
    def passed(self) -> bool:
        if self.expected:  # the run was to show a text: only that passes it
            return self.stop == Stop.EXPECTED
        return self.stop != Stop.FAILURE_PATTERN and self.end_code == EndCode.PASS

    def record(self) -> dict:
        """What a run used and how it ended, as written to its folder's run.json."""
        return {"platform": self.platform, "accel": self.accel, "cpu": self.cpu,
                "backend": self.backend, "stop": self.stop, "end_code": self.end_code,
                "end_reason": self.end_reason, "verdict": self.describe(),
                "features": self.summary.features, "seconds": round(self.seconds, 3),
                "emulator_status": self.emulator_status, "command": self.command,
                "expected": self.expected, "matched": self.matched,
                "exits": self.summary.exits}

    def describe(self) -> str:
        text = self._describe()
        return f"{text} ({self.note})" if self.note else text

    def _describe(self) -> str:
        if self.stop == Stop.EXPECTED:
            return f"saw {self.matched}"
        if self.stop == Stop.FAILURE_PATTERN:
            return f"saw the failure text {self.matched}"
        missing = (f" before {' or '.join(self.expected)} appeared"
                   if self.expected else "")
        return self._describe_end() + missing

    def _describe_end(self) -> str:
        if self.end_code is not None:
            try:
                word = EndCode(self.end_code).word
            except ValueError:
                word = self.end_reason or "?"
            return f"ended with code {self.end_code} ({word})"
        return {Stop.GUEST_RESET: "the machine reset (triple fault or reset request) without "
                                  "an end line",
                Stop.EMULATOR_EXIT: f"the emulator exited (status {self.emulator_status}) "
                                    "without an end line",
                Stop.TIMEOUT: "no end line before the deadline" if not self.expected
                              else "the deadline passed",
                Stop.HUNG: f"the machine hung without an end line ({HUNG})",
                }.get(self.stop, str(self.stop))
