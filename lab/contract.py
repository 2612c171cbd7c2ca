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
class GuestState:
    """One guest of several (CONTRACT.md 10): `@lab guest id=K mem=N`, then perhaps
    `@lab guest-end id=K code=N reason=WORD`."""

    id: int
    mem: int | None = None  # MiB
    end_code: int | None = None
    end_reason: str | None = None

    @property
    def ended(self) -> bool:
        return self.end_code is not None


@dataclass(frozen=True)
class MemCounts:
    """`@lab mem guest-pages=N host-pages=N shared=N saved=N zero=N` (CONTRACT.md 10)."""

    guest_pages: int
    host_pages: int
    shared: int
    saved: int
    zero: int

    def problems(self) -> list[str]:
        """Where the counts contradict each other (saved is guest-pages - host-pages)."""
        out = []
        if self.saved != self.guest_pages - self.host_pages:
            out.append(f"saved={self.saved} is not guest-pages - host-pages "
                       f"({self.guest_pages} - {self.host_pages})")
        if self.shared > self.host_pages:
            out.append(f"shared={self.shared} host pages of only {self.host_pages}")
        if self.zero > self.guest_pages:
            out.append(f"zero={self.zero} of only {self.guest_pages} guest pages")
        return out


MEM_KEYS = ("guest-pages", "host-pages", "shared", "saved", "zero")


def _number(mk: Marker, key: str) -> int | None:
    value = mk.args.get(key, "")
    return int(value) if value.isdigit() else None


def parse_guest(mk: Marker) -> GuestState | None:
    """`@lab guest id=K mem=N`; None for another marker or one without a numeric id."""
    if mk.verb != "guest" or (gid := _number(mk, "id")) is None:
        return None
    return GuestState(gid, mem=_number(mk, "mem"))


def parse_guest_end(mk: Marker) -> tuple[int, int | None, str | None] | None:
    """`@lab guest-end id=K code=N reason=WORD`: (id, code, reason); None if not one."""
    if mk.verb != "guest-end" or (gid := _number(mk, "id")) is None:
        return None
    return gid, _number(mk, "code"), mk.args.get("reason")


def parse_focus(mk: Marker) -> int | None:
    """`@lab focus guest=K`: K; None if not one."""
    return _number(mk, "guest") if mk.verb == "focus" else None


def parse_mem(mk: Marker) -> MemCounts | None:
    """`@lab mem ...` with all five counts; None if not one or a count is missing."""
    if mk.verb != "mem":
        return None
    values = [_number(mk, k) for k in MEM_KEYS]
    if any(v is None for v in values):
        return None
    return MemCounts(*values)


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
    guests: dict[int, GuestState] = field(default_factory=dict)  # several guests (10)
    focus: list[int] = field(default_factory=list)  # each `@lab focus` move, in order
    mem: MemCounts | None = None  # the last `@lab mem` line (dedup)

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
        elif (g := parse_guest(mk)) is not None:
            s.guests[g.id] = g
        elif (end := parse_guest_end(mk)) is not None:
            g = s.guests.setdefault(end[0], GuestState(end[0]))
            g.end_code, g.end_reason = end[1], end[2]
        elif (k := parse_focus(mk)) is not None:
            s.focus.append(k)
        elif (counts := parse_mem(mk)) is not None:
            s.mem = counts
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
