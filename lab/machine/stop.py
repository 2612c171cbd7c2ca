"""Why a run stopped: run.json's `stop` (README "Runs and their files")."""
from __future__ import annotations

from enum import StrEnum


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
