"""`lab bench linux` (issue 15): Debian's kernel (lab.linux) booted to its shell directly and
under the hypervisor on the same QEMU, in one run. The figure is the time from the kernel's
first line (`Linux version`, printed once it has unpacked itself) to /init's ready line, in
microseconds (timing: it varies with the host's load), and their ratio in per mille (goal
<= 1500). Under the hypervisor the exits it took by reason come too.

Bochs boots no Linux directly (its CPU models lack MSRs the kernel reads: README, "Linux"),
so it has no ratio to give; there
the figure is exact instead: the kernel's own clock from its start to "Run /init", in TSC
cycles. Under Bochs with `clock: sync=none` the TSC counts instructions (the hypervisor's
among them), the kernel's clock is that TSC at the rate the hypervisor passed as
`tsc_early_khz=`, and printk gives it in microseconds: cycles = us * khz / 1000, to the
50 cycles of a microsecond. Booted as the Linux scenario boots it there (PVH, no crypto
self-tests).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from .benchmarks import Say, targets
from .build import Outputs
from .config import RunConfig
from .errors import LabError
from .linux import BOCHS_ARGS, READY, LinuxGuest, build_linux_guest
from .platforms import Platform
from .runner import prepare

KERNEL_FIRST_LINE = r"Linux version "
RUN_INIT = re.compile(r"^\[\s*(\d+)\.(\d{6})\] Run /init as init process", re.M)
TSC_KHZ = re.compile(r"Command line: .*\btsc_early_khz=(\d+)")
MEMORY = 256  # MiB, as the Linux scenarios boot it
PLATFORMS = ("qemu-tcg", "qemu-kvm")  # those with their own Linux loader for the baseline


def _config(platform: str, backend: str, kernel: Path, args: str, guest: LinuxGuest,
            scale: float, direct: bool = False) -> RunConfig:
    return RunConfig(platform=platform, backend=backend, guest_kernel=kernel,
                     guest_modules=[guest.initrd], guest_args=args, guest_memory=MEMORY,
                     memory=MEMORY + 128, direct=direct, timeout_scale=scale)


def _boot(out: Outputs, guest: LinuxGuest, platform: str, backend: str, direct: bool,
          scale: float) -> tuple[int, dict[str, int]]:
    cfg = _config(platform, backend, guest.kernel, "console=ttyS0", guest, scale, direct)
    with prepare(cfg, outputs=out).boot() as m:
        m.wait_for(KERNEL_FIRST_LINE, 60, failure="Kernel panic")
        began = time.monotonic()
        m.wait_for(re.escape(READY), 120, failure="Kernel panic")
        micros = round((time.monotonic() - began) * 1e6)
        exits = {} if direct else m.exit_counts()
    return micros, exits


def guest_cycles(console: str) -> int | None:
    """The kernel's clock at "Run /init", in TSC cycles at its tsc_early_khz=; None when
    the console lacks either line."""
    run, khz = RUN_INIT.search(console), TSC_KHZ.search(console)
    if not run or not khz:
        return None
    return (int(run[1]) * 1_000_000 + int(run[2])) * int(khz[1]) // 1000


def _bochs_boot(out: Outputs, guest: LinuxGuest, backend: str, scale: float
                ) -> tuple[int | None, dict[str, int]]:
    cfg = _config("bochs", backend, guest.pvh, f"console=ttyS0 {BOCHS_ARGS}", guest, scale)
    with prepare(cfg, outputs=out).boot() as m:
        m.wait_for(re.escape(READY), 240, failure="Kernel panic")
        return guest_cycles(m.console_text()), m.exit_counts()


def _exit_figures(exits: dict[str, int]) -> dict[str, int]:
    return {f"linux_exits_{k.replace('-', '_')}": v for k, v in exits.items()}


def linux_boot(out: Outputs, platforms: list[Platform], scale: float, say: Say
               ) -> dict[str, dict[str, int]]:
    results = {}
    guest = build_linux_guest(out.build)
    for platform, backend in targets(platforms):
        if platform == "bochs":
            cycles, exits = _bochs_boot(out, guest, backend, scale)
            if cycles is None:
                raise LabError(f"bochs/{backend}: Linux reached its shell, but its log has no "
                               "'Run /init' time or tsc_early_khz=")
            say(f"bochs/{backend} (exact): Linux from its start to /init in {cycles} TSC "
                f"cycles, {exits.get('total', 0)} exits")
            results[f"bochs-{backend}"] = {"linux_boot_cycles_hv": cycles,
                                           **_exit_figures(exits)}
            continue
        if platform not in PLATFORMS:
            continue
        direct, _ = _boot(out, guest, platform, backend, True, scale)
        hv, exits = _boot(out, guest, platform, backend, False, scale)
        figures = {"linux_boot_us_direct": direct, "linux_boot_us_hv": hv,
                   "linux_boot_ratio_permille": round(1000 * hv / direct),
                   **_exit_figures(exits)}
        top = sorted(((v, k) for k, v in exits.items() if k != "total"), reverse=True)[:3]
        say(f"{platform}/{backend}: Linux to its shell {hv / direct:.2f}x direct (goal <= "
            f"1.5; {direct / 1e6:.1f} s -> {hv / 1e6:.1f} s); {exits.get('total', 0)} exits, "
            "most " + ", ".join(f"{k} {v}" for v, k in top))
        results[f"{platform}-{backend}"] = figures
    return results
