"""The benchmarks themselves: each boots what it measures and returns integer figures.

- exitcost: the exitcost test guest times CPUID and port-I/O exits (cycles per round trip).
- os: TeachOS booted directly and under the hypervisor on the same emulator, in one run:
  the TSC at its shell prompt (time from power-on; instructions under Bochs) and the disk
  throughput its `bigfile` program measures. Throughput in KiB/s comes from the guest's
  100 Hz tick; the ratios come from the TSC cycles the same transfers took, which the tick
  would round by several per cent. Ratios are in per mille so figures stay integers.
  With a SWEB given, also SWEB's boot, from its first line (`Booting...`) to its prompt,
  directly and under the hypervisor, and the exits the hypervisor took while it booted. On
  Bochs the figures are instruction counts between two screen writes, caught by debugger
  watchpoints (exact): SWEB's first act after `Booting...` zeroes the text screen, and its
  prompt is drawn on the last row. On QEMU they are microseconds between the two console
  lines (timing, varies).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from . import bench
from .build import Outputs
from .config import RunConfig
from .errors import LabError
from .platforms import BACKENDS, Platform
from .runner import prepare, run
from .sweb import BOCHS_DIRECT_IPS
from .teachos import Shell, bigfile_rates, bigfile_tsc, boot_tsc

BIGFILE_MIB = 4
VGA = 0xB8000
PROMPT_ROW = VGA + 24 * 160  # SWEB's prompt is drawn on the screen's last row
PROMPT_CELL = PROMPT_ROW + 7 * 2  # the '>' of "SWEB: />"
SWEB_PROMPT = b"SWEB: />"
# One emulated clock for both SWEB boots on Bochs: the one a direct boot needs.
SWEB_BENCH_IPS = BOCHS_DIRECT_IPS
Say = Callable[[str], None]


def targets(platforms: list[Platform]) -> list[tuple[str, str]]:
    return [(p.name, b) for p in platforms for b in BACKENDS if p.can(b)]


def exitcost(platforms: list[Platform], scale: float, say: Say) -> dict[str, dict[str, int]]:
    results = {}
    for platform, backend in targets(platforms):
        r = run(RunConfig(platform=platform, backend=backend, guest="exitcost",
                          timeout_scale=scale))
        figures = bench.parse_bench((r.workdir / "console.log").read_text())
        if not r.passed or not figures:
            raise LabError(f"exitcost on {platform}/{backend}: {r.describe()}; see {r.workdir}")
        exact = "exact" if platform in bench.DETERMINISTIC else "timing, varies"
        say(f"{platform}/{backend} ({exact}): " + ", ".join(f"{k}={v}" for k, v in
                                                            figures.items()))
        results[f"{platform}-{backend}"] = figures
    return results


def _os_run(out: Outputs, platform: str, backend: str, direct: bool, scale: float
            ) -> tuple[int, tuple[float, float], tuple[int, int]]:
    cfg = RunConfig(platform=platform, backend=backend, guest_kernel=out.os_kernel,
                    guest_disk=out.os_disk, direct=direct, timeout_scale=scale)
    prep = prepare(cfg, outputs=out)
    with prep.boot() as m:
        shell = Shell(m, 120)
        shell.wait_ready()
        tsc = boot_tsc(m.console_text())
        output = shell.run(f"bigfile {BIGFILE_MIB} bench.bin", 600)
        rates, cycles = bigfile_rates(output), bigfile_tsc(output)
        if tsc is None or rates is None or cycles is None:
            raise LabError(f"TeachOS on {platform} printed no boot TSC or bigfile figures; "
                           f"see {m.workdir}")
        return tsc, rates, cycles


def teachos(out: Outputs, platforms: list[Platform], scale: float, say: Say
            ) -> dict[str, dict[str, int]]:
    results = {}
    for platform, backend in targets(platforms):
        d_tsc, (d_w, d_r), (dc_w, dc_r) = _os_run(out, platform, backend, True, scale)
        h_tsc, (h_w, h_r), (hc_w, hc_r) = _os_run(out, platform, backend, False, scale)
        # Throughput under the hypervisor against directly: the inverse of the time ratio.
        write, read = dc_w / hc_w, dc_r / hc_r
        figures = {"boot_tsc_direct": d_tsc, "boot_tsc_hv": h_tsc,
                   "boot_ratio_permille": round(1000 * h_tsc / d_tsc),
                   "disk_write_kib_s_direct": round(d_w), "disk_write_kib_s_hv": round(h_w),
                   "disk_read_kib_s_direct": round(d_r), "disk_read_kib_s_hv": round(h_r),
                   "disk_write_tsc_direct": dc_w, "disk_write_tsc_hv": hc_w,
                   "disk_read_tsc_direct": dc_r, "disk_read_tsc_hv": hc_r,
                   "disk_write_ratio_permille": round(1000 * write),
                   "disk_read_ratio_permille": round(1000 * read)}
        say(f"{platform}/{backend}: boot {h_tsc / d_tsc:.2f}x direct (goal <= 1.3), disk "
            f"write {write:.2f}x, read {read:.2f}x direct (goal >= 0.5)")
        results[f"{platform}-{backend}"] = figures
    return results


def _sweb_boot(out: Outputs, sweb: Path, platform: str, backend: str, direct: bool,
               scale: float) -> tuple[int, dict[str, int]]:
    """SWEB's boot from `Booting...` to its prompt (instructions on Bochs, microseconds on
    QEMU), and the hypervisor's exit counts by reason at the prompt."""
    cfg = RunConfig(platform=platform, backend=backend, sweb=sweb, direct=direct,
                    timeout_scale=scale, ips=SWEB_BENCH_IPS)  # one emulated clock for both
    prep = prepare(cfg, outputs=out)
    with prep.boot() as m:
        limit = prep.spec.scaled(60)

        def panicked() -> None:
            text = m.console_text()
            if "KERNEL PANIC" in text:
                why = (" on a spurious interrupt (Bochs' 8259, see sweb.BOCHS_DIRECT_IPS)"
                       if "Spurious Interrupt" in text else "")
                raise LabError(f"SWEB panicked{why} on {platform} "
                               f"({'direct' if direct else backend}); see {m.workdir}")

        if platform == "bochs":
            def cleared(read) -> bool:
                return read(VGA, 1) == b"\0"

            def prompt(read) -> bool:
                panicked()
                return read(PROMPT_ROW, 2 * len(SWEB_PROMPT))[0::2] == SWEB_PROMPT

            start = m.run_until_written(VGA, cleared, limit)
            figure = m.run_until_written(PROMPT_CELL, prompt, limit) - start
        else:
            m.wait_for(r"Booting\.\.\.", 60)
            began = time.monotonic()
            m.wait_for("SWEB: /> ", 60, failure="KERNEL PANIC")
            figure = round((time.monotonic() - began) * 1e6)
        exits = {} if direct else m.exit_counts()
        if not direct and not exits:
            raise LabError(f"the hypervisor gave no exit counts on {platform}/{backend}")
    return figure, exits


def sweb_boot(out: Outputs, sweb: Path, platforms: list[Platform], scale: float, say: Say
              ) -> dict[str, dict[str, int]]:
    results = {}
    for platform, backend in targets(platforms):
        direct, _ = _sweb_boot(out, sweb, platform, backend, True, scale)
        hv, exits = _sweb_boot(out, sweb, platform, backend, False, scale)
        unit = "instructions" if platform in bench.DETERMINISTIC else "us"
        figures = {"sweb_boot_direct": direct, "sweb_boot_hv": hv,
                   "sweb_boot_ratio_permille": round(1000 * hv / direct),
                   **{f"sweb_exits_{k.replace('-', '_')}": v for k, v in exits.items()}}
        top = sorted(((v, k) for k, v in exits.items() if k != "total"), reverse=True)[:3]
        say(f"{platform}/{backend}: SWEB boot {hv / direct:.2f}x direct (goal <= 1.3; "
            f"{direct} -> {hv} {unit}); {exits.get('total', 0)} exits, most "
            + ", ".join(f"{k} {v}" for v, k in top))
        results[f"{platform}-{backend}"] = figures
    return results
