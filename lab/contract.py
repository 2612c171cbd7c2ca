"""The lab side of docs/CONTRACT.md: end codes and the `@lab` marker lines of the log."""
from __future__ import annotations

import enum
import re
import shlex
from dataclasses import dataclass, field


class EndCode(enum.IntEnum):
    """Verdicts of a run, as the `code` of `@lab end` (CONTRACT.md section 4)."""

    PASS = 0
    FAIL = 1
    PANIC = 2
    NOVIRT = 3
    GUEST_CRASH = 4
    WATCHDOG = 5
    CONFIG = 6

    @property
    def word(self) -> str:
        return self.name.lower().replace("_", "-")


MARKER = re.compile(r"^@lab (?P<verb>[a-z-]+)(?P<rest>.*)$")


@dataclass(frozen=True)
class Marker:
    verb: str
    args: dict[str, str] = field(default_factory=dict)


def parse_marker(line: str) -> Marker | None:
    """Parse one log line; None if it is not a marker. Bad words are kept as flags."""
    m = MARKER.match(line.rstrip("\r\n"))
    if not m:
        return None
    try:
        words = shlex.split(m.group("rest"))
    except ValueError:  # an unbalanced quote: keep what can be read
        words = m.group("rest").split()
    args: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        args[key] = value if sep else ""
    return Marker(m.group("verb"), args)


@dataclass
class LogSummary:
    """What the markers of one hypervisor log say."""

    booted: bool = False
    name: str = ""
    backend: str | None = None
    features: list[str] = field(default_factory=list)
    asids: int | None = None
    novirt: str | None = None
    end_code: int | None = None
    end_reason: str | None = None
    ended_seen: bool = False
    exits: dict[str, int] = field(default_factory=dict)  # the last `@lab exits` line

    @property
    def ended(self) -> bool:
        return self.end_code is not None


def summarize_log(text: str) -> LogSummary:
    s = LogSummary()
    for line in text.splitlines():
        mk = parse_marker(line)
        if mk is None:
            continue
        if mk.verb == "boot":
            s.booted, s.name = True, mk.args.get("name", "")
        elif mk.verb == "virt":
            s.backend = mk.args.get("backend")
            s.features = [f for f in mk.args.get("features", "").split(",") if f]
            if mk.args.get("asids", "").isdigit():
                s.asids = int(mk.args["asids"])
        elif mk.verb == "novirt":
            s.novirt = mk.args.get("msg", "")
        elif mk.verb == "exits":
            s.exits = {k: int(v) for k, v in mk.args.items() if v.isdigit()}
        elif mk.verb == "end" and not s.ended_seen:
            s.ended_seen = True
            code = mk.args.get("code", "")
            s.end_code = int(code) if code.isdigit() else None  # a malformed code: no verdict
            s.end_reason = mk.args.get("reason")
    return s


def hypervisor_cmdline(backend: str = "auto", extra: dict[str, str] | None = None) -> str:
    words = [f"backend={backend}"]
    for key, value in (extra or {}).items():
        words.append(f"{key}={value}" if value != "" else key)
    return " ".join(words)
