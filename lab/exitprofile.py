"""Where an exit's instructions go: one round trip of the exit-cost guest on Bochs, a CPUID
or an IN from the test device, traced instruction by instruction with the debugger and
counted per hypervisor function.

    python -m lab.exitprofile [-l] [--pio] [vmx|svm]   (-l: list each instruction too)

Bochs counts every instruction the simulated CPU retires, the hypervisor's and the guest's,
so the round trip traced here is the same figure `lab bench` prints as `cpuid_cycles` or
`pio_cycles` (the guest's TSC under `clock: sync=none`). The round runs from one pass of
the backend's entry point to the next, inside the guest's timed loop.
"""
from __future__ import annotations

import bisect
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .bench import parse_bench
from .build import Outputs, build
from .config import RunConfig
from .errors import LabError
from .runner import prepare

# A point every round trip passes once: the VM exit's first instruction on VMX, VMRUN's
# wrapper on SVM.
ROUND_START = {"vmx": "vmx_exit_stub", "svm": "svm_vmrun"}
WARM_EXITS = 30  # CPUID exits let by first: the guest's own probing is over, its loop runs
TRACED = 800  # instructions traced: more than two round trips
# A traced instruction: "[0x0000001003a2] 0008:00000000001003a2 (unk. ctxt): vmresume ; ..."
TRACE_LINE = re.compile(r"\[0x([0-9a-f]{8,16})\] [0-9a-f]{4}:[0-9a-f]+ \([^)]*\): ([^;\n]*)")
ENTRY = re.compile(r"\s*(vmresume|vmlaunch|vmrun)\b")
MAX_INSN_LEN = 15


@dataclass
class Profile:
    backend: str
    instructions: int  # in one round trip, guest included
    by_function: Counter  # the hypervisor's, by symbol; the guest's under "(guest)"
    bench_figure: int  # the guest's own figure (cpuid_cycles, pio_cycles), same run
    steps: list[tuple[int, str, str]]  # the round trip: address, function, instruction


class Symbols:
    def __init__(self, elf: Path) -> None:
        out = subprocess.run(["nm", "-n", str(elf)], capture_output=True, text=True,
                             check=True).stdout
        self.syms = [(int(a, 16), n) for a, t, n in
                     (line.split()[:3] for line in out.splitlines() if len(line.split()) >= 3)
                     if t in "tTwW"]
        self.addrs = [a for a, _ in self.syms]
        self.by_name = {n: a for a, n in self.syms}

    def name(self, addr: int) -> str:
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.syms[i][1] if i >= 0 else "?"


def profile(out: Outputs, backend: str, pio: bool = False) -> Profile:
    """The CPUID round trip, or with pio the IN's: the guest times its IN loop after its
    CPUID loop, so the IN breakpoint is set once the CPUID loop runs."""
    syms = Symbols(out.hypervisor)
    start = syms.by_name[ROUND_START[backend]]
    prep = prepare(RunConfig(platform="bochs", backend=backend, guest="exitcost",
                             timeout_scale=4), outputs=out)
    handlers = ["handle_cpuid"] + (["handle_io"] if pio else [])
    with prep.boot() as m:
        for number, handler in enumerate(handlers, start=1):
            if number > 1:
                m.debugger(f"bpd {number - 1}")
            m.debugger(f"lb {syms.by_name[handler]:#x}")
            for _ in range(WARM_EXITS):
                m.debugger("c")
        m.debugger(f"bpd {len(handlers)}")
        m.debugger(f"lb {start:#x}")
        m.debugger("c")
        m.debugger("trace on")
        trace = m.debugger(f"s {TRACED}")
        m.debugger("trace off")
        m.debugger(f"bpd {len(handlers) + 1}")
        m.resume()
        figure_name = "pio_cycles" if pio else "cpuid_cycles"
        m.wait_for(rf"BENCH {figure_name}=\d+\r?\n", 120)
        figure = parse_bench(m.console_text())[figure_name]
    steps = [(int(a, 16), text) for a, text in TRACE_LINE.findall(trace)]
    starts = [i for i, (rip, _) in enumerate(steps) if rip == start]
    if len(starts) < 2:
        raise LabError(f"exit profile on bochs/{backend}: no whole round trip in "
                       f"{len(steps)} traced instructions; see {prep.workdir}")
    round_trip = steps[starts[0]:starts[1]]
    return Profile(backend, len(round_trip), by_function(round_trip, syms), figure,
                   [(rip, syms.name(rip), text.strip()) for rip, text in round_trip])


def by_function(steps: list[tuple[int, str]], syms: Symbols) -> Counter:
    """Instructions per hypervisor function. The guest runs at addresses the hypervisor's
    symbols cover too (its own guest-physical memory), so its instructions are told by
    place: from the entry instruction (VMRESUME, VMRUN) to the exit's landing (the VMX exit
    stub; on SVM the instruction after VMRUN), counted as "(guest)"."""
    counts: Counter = Counter()
    entry_at = None
    for rip, text in steps:
        if entry_at is not None and (syms.name(rip) == ROUND_START["vmx"] or
                                     entry_at < rip <= entry_at + MAX_INSN_LEN):
            entry_at = None
        counts["(guest)" if entry_at is not None else syms.name(rip)] += 1
        if entry_at is None and ENTRY.match(text):
            entry_at = rip
    return counts


def main(argv: list[str]) -> int:
    listing = "-l" in argv  # each instruction of the round trip too
    pio = "--pio" in argv
    backends = [a for a in argv if not a.startswith("-")] or ["vmx", "svm"]
    out = build(quiet=True)
    for backend in backends:
        p = profile(out, backend, pio)
        print(f"bochs/{backend}: one {'IN' if pio else 'CPUID'} round trip, "
              f"{p.instructions} instructions (the guest measured {p.bench_figure})")
        for name, n in p.by_function.most_common():
            print(f"  {n:5d}  {name}")
        for rip, name, text in p.steps if listing else []:
            print(f"    {rip:#010x}  {name:24s} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
