"""`lab bench linux` (issue 15): Debian's kernel (lab.linux) booted to its shell directly and
under the hypervisor on the same QEMU, in one run. The figure is the time from the kernel's
first line (`Linux version`, printed once it has unpacked itself) to /init's ready line, in
microseconds (timing: it varies with the host's load), and their ratio in per mille (goal
<= 1500). Under the hypervisor the exits it took by reason come too. QEMU TCG only: Bochs
boots no Linux directly (mbload is Multiboot only), so it has no ratio to give.
"""
from __future__ import annotations

import re
import time

from .benchmarks import Say, targets
from .build import Outputs
from .config import RunConfig
from .linux import READY, LinuxGuest, build_linux_guest
from .platforms import Platform
from .runner import prepare

KERNEL_FIRST_LINE = r"Linux version "
MEMORY = 256  # MiB, as the Linux scenarios boot it
PLATFORMS = ("qemu-tcg", "qemu-kvm")  # those with their own Linux loader for the baseline


def _boot(out: Outputs, guest: LinuxGuest, platform: str, backend: str, direct: bool,
          scale: float) -> tuple[int, dict[str, int]]:
    cfg = RunConfig(platform=platform, backend=backend, guest_kernel=guest.kernel,
                    guest_modules=[guest.initrd], guest_args="console=ttyS0",
                    guest_memory=MEMORY, memory=MEMORY + 128, direct=direct,
                    timeout_scale=scale)
    prep = prepare(cfg, outputs=out)
    with prep.boot() as m:
        m.wait_for(KERNEL_FIRST_LINE, 60, failure="Kernel panic")
        began = time.monotonic()
        m.wait_for(re.escape(READY), 120, failure="Kernel panic")
        micros = round((time.monotonic() - began) * 1e6)
        exits = {} if direct else m.exit_counts()
    return micros, exits


def linux_boot(out: Outputs, platforms: list[Platform], scale: float, say: Say
               ) -> dict[str, dict[str, int]]:
    results = {}
    guest = build_linux_guest(out.build)
    for platform, backend in targets(platforms):
        if platform not in PLATFORMS:
            continue
        direct, _ = _boot(out, guest, platform, backend, True, scale)
        hv, exits = _boot(out, guest, platform, backend, False, scale)
        figures = {"linux_boot_us_direct": direct, "linux_boot_us_hv": hv,
                   "linux_boot_ratio_permille": round(1000 * hv / direct),
                   **{f"linux_exits_{k.replace('-', '_')}": v for k, v in exits.items()}}
        top = sorted(((v, k) for k, v in exits.items() if k != "total"), reverse=True)[:3]
        say(f"{platform}/{backend}: Linux to its shell {hv / direct:.2f}x direct (goal <= "
            f"1.5; {direct / 1e6:.1f} s -> {hv / 1e6:.1f} s); {exits.get('total', 0)} exits, "
            "most " + ", ".join(f"{k} {v}" for v, k in top))
        results[f"{platform}-{backend}"] = figures
    return results
