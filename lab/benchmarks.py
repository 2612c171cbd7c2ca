"""The benchmarks themselves: each boots what it measures and returns integer figures.

- exitcost: the exitcost test guest times CPUID and port-I/O exits (cycles per round trip).
- os: TeachOS booted directly and under the hypervisor on the same emulator, in one run:
  the TSC at its shell prompt (time from power-on; instructions under Bochs) and the disk
  throughput its `bigfile` program measures. Throughput in KiB/s comes from the guest's
  100 Hz tick; the ratios come from the TSC cycles the same transfers took, which the tick
  would round by several per cent. Ratios are in per mille so figures stay integers.
"""
from __future__ import annotations

from collections.abc import Callable

from . import bench
from .build import Outputs
from .config import RunConfig
from .errors import LabError
from .platforms import BACKENDS, Platform
from .runner import prepare, run
from .teachos import Shell, bigfile_rates, bigfile_tsc, boot_tsc

BIGFILE_MIB = 4
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
    with prep.machine() as m:
        m.start(timeout=prep.spec.scaled(10))
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
