"""`lab bench consolidation`: N SWEBs (N = 1, 2, 4; 8 MiB each) under the reference hypervisor,
without and with `dedup`, side by side in one run (CONTRACT.md 10).

Per case: the wall-clock milliseconds from the emulator's start until every guest has shown
its prompt `SWEB: /> ` on its own console (port 0xE9; with several guests the channel
`guestK`), and the memory counts after all prompts. With dedup they are the hypervisor's
`@lab mem` line, asked with '?' until two readings one second apart are equal (it
deduplicates in its own time); without dedup there is no such line, so only the guest pages
are recorded, from the `@lab guest id=K mem=N` markers (N x 256 less the 32 pages of the VGA
window each). Derived, the issue's goals: the time of four guests over one's at most 4.4x
(one CPU runs them all; the hypervisor adds at most 10 %), and with dedup the host pages of
four at most 1.5x one's. Ratios are per mille so figures stay integers. Seconds follow the
host's load (timing, varies); the page counts hardly do.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .build import Outputs
from .config import RunConfig
from .contract import MemCounts, summarize_log
from .errors import LabError
from .guestlist import GuestSpec
from .platforms import Platform
from .runner import prepare
from .several import mem_until, wait_created
from .sweb import resolve_sweb
from .swebos import PANIC, PROMPT

COUNTS = (1, 2, 4)  # guests per case
SWEB_MIB = 8
MODES = ("plain", "dedup")  # without and with the `dedup` word
# Where it can run: one target per backend (qemu-tcg has no VMX; bochs/svm would add Bochs'
# minutes for little news). By default QEMU TCG alone: all six cases take about 70 s there,
# and about 6 minutes on Bochs (measured on 2 shared cores), so Bochs is asked for by name.
TARGETS = (("qemu-tcg", "svm"), ("bochs", "vmx"))
DEFAULT_TARGETS = ("qemu-tcg-svm",)
PROMPT_WAIT = 60  # seconds per guest (scaled by the platform) until its prompt
SETTLE_WAIT = 120  # seconds (scaled) for the dedup counts to settle
TIME_GOAL = 4400  # per mille: time(4) / time(1)
PAGES_GOAL = 1500  # per mille: host_pages(4) / host_pages(1), with dedup
Say = Callable[[str], None]


def guest_pages(mems: list[int]) -> int:
    """The 4 KiB pages of guest RAM of guests of `mems` MiB: each M x 256 less the 32 of the
    VGA window 0xA0000-0xBFFFF, which is not RAM (CONTRACT.md 10)."""
    return sum(m * 256 - 32 for m in mems)


class Settled:
    """A predicate for several.mem_until: true at the second of two equal readings in a row
    (mem_until reads once a second). `readings` counts what it saw."""

    def __init__(self) -> None:
        self.last: MemCounts | None = None
        self.readings = 0

    def __call__(self, counts: MemCounts) -> bool:
        self.readings += 1
        same = counts == self.last
        self.last = counts
        return same


def permille(after: int | None, before: int | None) -> int | None:
    return round(1000 * after / before) if after is not None and before else None


def key(mode: str, n: int, what: str) -> str:
    return f"{mode}_n{n}_{what}"


def derive(figures: dict[str, int]) -> dict[str, int]:
    """The ratios of four guests to one, from one target's case figures; a ratio whose cases
    are missing is left out."""
    out = {}
    for mode in MODES:
        r = permille(figures.get(key(mode, 4, "prompt_ms")), figures.get(key(mode, 1, "prompt_ms")))
        if r is not None:
            out[f"{mode}_time_ratio_4_1_permille"] = r
    r = permille(figures.get(key("dedup", 4, "host_pages")),
                 figures.get(key("dedup", 1, "host_pages")))
    if r is not None:
        out["dedup_host_pages_ratio_4_1_permille"] = r
    return out


def goal_lines(figures: dict[str, int]) -> list[str]:
    """One line per goal of one target: met, NOT met, or not measured."""
    lines = []
    for mode in MODES:
        name = f"{mode}_time_ratio_4_1_permille"
        lines.append(_judge(f"time(4)/time(1) {'with' if mode == 'dedup' else 'without'} "
                            "dedup", figures.get(name), TIME_GOAL))
    lines.append(_judge("host_pages(4)/host_pages(1) with dedup",
                        figures.get("dedup_host_pages_ratio_4_1_permille"), PAGES_GOAL))
    return lines


def _judge(what: str, value: int | None, limit: int) -> str:
    if value is None:
        return f"{what}: not measured (goal <= {limit / 1000:.1f})"
    verdict = "met" if value <= limit else "NOT met"
    return f"{what} = {value / 1000:.2f} (goal <= {limit / 1000:.1f}): {verdict}"


def table(target: str, figures: dict[str, int]) -> list[str]:
    """The cases of one target as rows."""
    rows = [f"{target}: {'case':<9} {'N':>2} {'prompt s':>9} {'guest pages':>12} "
            f"{'host pages':>11} {'shared':>7} {'zero':>6}"]
    pad = " " * (len(target) + 2)
    for mode in MODES:
        for n in COUNTS:
            if key(mode, n, "prompt_ms") not in figures:
                continue
            cells = [figures.get(key(mode, n, what)) for what in
                     ("guest_pages", "host_pages", "shared", "zero")]
            guest, host, shared, zero = ("-" if v is None else str(v) for v in cells)
            ms = figures[key(mode, n, "prompt_ms")]
            label = "dedup" if mode == "dedup" else "no dedup"
            rows.append(f"{pad}{label:<9} {n:>2} {ms / 1000:>9.2f} {guest:>12} {host:>11} "
                        f"{shared:>7} {zero:>6}")
    return rows


def _case(out: Outputs, kernel: Path, disk: Path, platform: str, backend: str, n: int,
          mode: str, scale: float) -> dict[str, int]:
    guests = [GuestSpec(kernel=kernel, disk=disk, mem=SWEB_MIB) for _ in range(n)]
    cfg = RunConfig(platform=platform, backend=backend, guests=guests,
                    append="dedup" if mode == "dedup" else "", timeout_scale=scale)
    prep = prepare(cfg, outputs=out, label=f"consolidation-{mode}-{n}")
    began = time.monotonic()
    with prep.boot() as m:
        try:
            wait_created(m, [SWEB_MIB] * n)
            for k in range(n):  # the last prompt ends the wait, whichever guest came first
                m.wait_for(PROMPT, PROMPT_WAIT * n, failure=PANIC,
                           channel="console" if n == 1 else f"guest{k}")
            figures = {"prompt_ms": round((time.monotonic() - began) * 1000)}
            seen = summarize_log(m.log_text()).guests
            figures["guest_pages"] = guest_pages([seen[k].mem for k in range(n)])
            if mode == "dedup":
                settled = Settled()
                counts = mem_until(m, settled, "two equal @lab mem readings 1 s apart",
                                   SETTLE_WAIT)
                if counts.guest_pages != figures["guest_pages"]:
                    raise LabError(f"@lab mem guest-pages={counts.guest_pages}, but the "
                                   f"guests were given {figures['guest_pages']} pages")
                figures.update(host_pages=counts.host_pages, shared=counts.shared,
                               zero=counts.zero, settle_readings=settled.readings)
        except (AssertionError, LabError) as e:
            raise LabError(f"consolidation {mode} N={n} on {platform}/{backend}: {e}; see "
                           f"{m.workdir}") from None
    return {key(mode, n, k): v for k, v in figures.items()}


def consolidation(out: Outputs, sweb: Path, platforms: list[Platform], scale: float, say: Say,
                  only: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Every case on each target asked for (`only`, as PLATFORM-BACKEND; default
    DEFAULT_TARGETS) that this host can run, and the derived ratios."""
    wanted = list(only or DEFAULT_TARGETS)
    known = [f"{p}-{b}" for p, b in TARGETS]
    if unknown := [t for t in wanted if t not in known]:
        raise LabError(f"consolidation: unknown target {unknown[0]} (known: {', '.join(known)})")
    can = {p.name: p for p in platforms}
    chosen = [(p, b) for p, b in TARGETS if f"{p}-{b}" in wanted and p in can and can[p].can(b)]
    if not chosen:
        raise LabError(f"consolidation: this host cannot run {', '.join(wanted)} "
                       "(see `lab platforms`)")
    s = resolve_sweb(sweb, out.build)
    results = {}
    for platform, backend in chosen:
        figures: dict[str, int] = {}
        for mode in MODES:
            for n in COUNTS:
                case = _case(out, s.kernel, s.disk, platform, backend, n, mode, scale)
                say(f"{platform}/{backend} {mode} N={n}: "
                    + ", ".join(f"{k.split('_', 2)[2]}={v}" for k, v in case.items()))
                figures.update(case)
        figures.update(derive(figures))
        results[f"{platform}-{backend}"] = figures
    return results
