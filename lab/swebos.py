"""Driving SWEB's shell: keys on the PS/2 keyboard, results on the VGA screen and port 0xE9.

SWEB (the course's guest OS) reads only its keyboard and writes its shell's output to the
VGA text screen; port 0xE9 carries its kernel log, the prompt among it (../shared/SWEB.md).
So a command is typed, its end is the next prompt on 0xE9, and its output is read off the
screen between the prompt line that holds the command and the new prompt.
"""
from __future__ import annotations

import time

from .errors import StepTimeout
from .screen import ROWS, Screen

PROMPT = "SWEB: /> "
PANIC = r"KERNEL PANIC"
GREEN_ON_BLACK = 0x02  # SWEB's text attribute
SCREEN_POLL = 0.1  # seconds between two looks at the screen

# The shell's start, exact to the cell: SWEB's logo, banner and help table, then the prompt
# on the last row (SWEB at 6c196dba, ../shared/sweb; ends at row ROWS - 1).
START_BLOCK = [
    "  _____              _",
    " /  ___|            | |",
    " \\ `--.__      _____| |__",
    "  `--. \\ \\ /\\ / / _ \\ '_ \\",
    " /\\__/ /\\      /  __/ |_) |",
    " \\____/  \\_/\\_/ \\___|____/",
    "",
    "SWEB-Pseudo-Shell Starting...",
    "",
    " - help or h              | List all commands",
    " - ls or l <dir>          | List specified directory",
    " - <tc-name>.sweb         | Execute specified testcase",
    " - Tab                    | Testcase autocompletion",
    " - ArrowUp, ArrowDown     | Copy last command, drop command",
    " - cls or clear           | Clear screen",
    " - exit or q <exit-code>  | Exit the shell with the specified exit-code",
    "",
    "",
    PROMPT.rstrip(),
]


def start_screen_problems(screen: Screen) -> list[str]:
    """Where the screen differs from SWEB's shell start, cell by cell (text and colour)."""
    first = ROWS - len(START_BLOCK)
    problems = []
    for i, want in enumerate(START_BLOCK):
        row = first + i
        text, attrs = screen.span(row, 0, len(want))
        if screen.line(row) != want:
            problems.append(f"row {row}: {screen.line(row)!r}, expected {want!r}")
        elif want and attrs != {GREEN_ON_BLACK}:
            problems.append(f"row {row}: attributes {sorted(attrs)}, expected "
                            f"{GREEN_ON_BLACK:#04x} (green on black)")
    return problems


class SwebShell:
    def __init__(self, machine, deadline: float = 60, guest: int | None = None) -> None:
        """`guest`: one SWEB of several (CONTRACT.md 10): its console stream (port 0xE9), and
        the focus (keyboard, screen) moved to it before each command."""
        self.m = machine
        self.deadline = deadline  # seconds per step, scaled by the platform
        self.guest = guest
        self.channel = "console" if guest is None else f"guest{guest}"

    def wait_prompt(self) -> None:
        """The first prompt on port 0xE9 (not the screen: with several guests it may show
        another's)."""
        self.m.wait_for(PROMPT, self.deadline, failure=PANIC, channel=self.channel)

    def wait_ready(self) -> None:
        """The first prompt on port 0xE9 and at the bottom of the screen."""
        self.wait_prompt()
        self.wait_screen_prompt()

    def wait_screen_prompt(self) -> None:
        """The prompt at the bottom of the screen (after wait_prompt: the 0xE9 prompt is
        taken once); with several guests this one gets the focus first."""
        if self.guest is not None and self.m.focused != self.guest:
            self.m.focus(self.guest)
        self._wait_screen(lambda s: s.line(ROWS - 1) == PROMPT.rstrip(), "the prompt")

    def _wait_screen(self, ok, what: str) -> Screen:
        """Read the screen until `ok(screen)`; the guest draws a moment after it logs."""
        deadline = time.monotonic() + self.m.spec.scaled(self.deadline)
        while True:
            screen = self.m.screen()
            if ok(screen):
                return screen
            if time.monotonic() > deadline:
                raise StepTimeout(f"screen: {what} did not show within "
                                  f"{self.m.spec.scaled(self.deadline):.0f} s; last row "
                                  f"{screen.line(ROWS - 1)!r}")
            time.sleep(SCREEN_POLL)  # the screen has no event to wait on: look again shortly

    def _echoed(self, typed: str) -> None:
        """Keys go in chunks (Bochs keeps 16 scancodes): the chunk must be on the prompt line
        before the next goes. Once Enter is typed the prompt wait takes over."""
        if "\n" not in typed:
            self._wait_screen(lambda s: s.line(ROWS - 1).endswith(typed), f"typed {typed!r}")

    def run(self, command: str, deadline: float | None = None) -> list[str]:
        """Type a command; return the screen rows it printed, up to the next prompt."""
        line = PROMPT + command
        typed: list[str] = []
        # SWEB logs a write on port 0xE9 before its console draws it (Syscall::write): a key
        # typed between the two is echoed before the prompt, on the line above it.
        self.wait_screen_prompt()

        def echo(part: str) -> None:
            typed.append(part)
            self._echoed("".join(typed))

        self.m.type_text(command + "\n", echo=echo)
        self.m.wait_for(PROMPT, deadline or self.deadline, failure=PANIC, channel=self.channel)
        screen = self._wait_screen(lambda s: s.line(ROWS - 1) == PROMPT.rstrip(),
                                   f"the prompt after {command!r}")
        rows = screen.lines()
        starts = [i for i, r in enumerate(rows) if r == line.rstrip()]
        if not starts:
            raise AssertionError(f"the command line {line!r} is not on the screen:\n"
                                 f"{screen.text()}")
        out = rows[starts[-1] + 1:ROWS - 1]
        while out and not out[-1]:
            out.pop()
        return out
