"""`lab fuzz` and `lab fuzz-devices`: the hypervisor fuzzed from inside a guest, and its
device models fuzzed on the host."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from . import devfuzz, fuzz
from .build import build
from .errors import BuildError, ConfigError
from .platforms import BACKENDS, PLATFORMS


def _fuzz_target(text: str) -> tuple[str, str]:
    platform, _, backend = text.rpartition("-")
    if platform not in PLATFORMS or backend not in BACKENDS:
        raise ConfigError(f"unknown target '{text}': use PLATFORM-BACKEND, e.g. bochs-vmx or "
                          "qemu-tcg-svm")
    return platform, backend


def _fuzz_ops(text: str) -> str:
    """'120-130' or '5,9,12': the fuzzer guest's arguments for those operations."""
    if re.fullmatch(r"\d+-\d+", text):
        first, last = map(int, text.split("-"))
        return f"first={first} count={max(last - first + 1, 0)}"
    if re.fullmatch(r"\d+(,\d+)*", text):
        return f"ops={text}"
    raise ConfigError(f"--ops '{text}': give a range A-B or a list I,J,K")


def cmd_fuzz(a: argparse.Namespace) -> int:
    """A guest-side fuzzing campaign, or the replay of some of its operations."""
    target = _fuzz_target(a.target)
    hv = Path(a.hypervisor).resolve() if a.hypervisor else None
    if hv is None:
        build(quiet=True)
    if a.ops:
        b = fuzz.boot(target, f"seed={a.seed} {_fuzz_ops(a.ops)} verbose=1", a.timeout, hv)
        print(b.console.rstrip())
        print(f"replay: {'survived' if b.survived else b.how}")
        return 0 if b.survived else 1
    c = fuzz.campaign(target, a.seed, a.exits, a.timeout, hv)
    print(f"{a.target} seed {a.seed}: {c.operations} operations in {c.boots} boots, "
          f"{sum(c.exits.values())} exits")
    print(c.coverage())
    if c.finding is None:
        print("no finding")
        return 0
    print(f"FINDING: {c.finding.how}")
    for i, text in c.last_ops:
        print(f"  op {i}: {text}")
    if c.last_ops:
        last = c.last_ops[-1][0]
        print(f"replay: lab fuzz --target {a.target} --seed {a.seed} --ops "
              f"{max(last - CHECKPOINT_TAIL, 0)}-{last}")
        if a.minimize:
            ops = fuzz.minimize(target, a.seed, list(range(max(last - CHECKPOINT_TAIL, 0),
                                                           last + 1)), a.timeout, hv)
            print(f"minimal: lab fuzz --target {a.target} --seed {a.seed} --ops "
                  f"{','.join(map(str, ops))}")
    return 1


CHECKPOINT_TAIL = 63  # operations before the last one seen that a replay or minimizer tries


def cmd_fuzz_devices(a: argparse.Namespace) -> int:
    """Each device model under libFuzzer; exit 1 on any finding."""
    known = devfuzz.harnesses()
    names = a.models or known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BuildError(f"no fuzzing harness for {', '.join(unknown)} (known: "
                         f"{', '.join(known)})")
    bins = devfuzz.build_fuzzers(names)
    runs = None if a.seconds and not a.runs else (a.runs or 100000)
    failed = 0
    for name in names:
        result = devfuzz.run_fuzzer(name, bins[name], runs=runs, seconds=a.seconds)
        print(result.line, flush=True)
        failed += bool(result.finding)
    return 1 if failed else 0


def add_parsers(sub) -> None:
    fu = sub.add_parser("fuzz", help="fuzz the hypervisor from inside a guest (seeded programs "
                        "of exit-causing operations)")
    fu.add_argument("--target", default="qemu-tcg-svm",
                    help="PLATFORM-BACKEND (default qemu-tcg-svm)")
    fu.add_argument("--exits", type=int, default=100000, help="stop after this many exits")
    fu.add_argument("--seed", type=int, default=1)
    fu.add_argument("--ops", help="replay just these operations of the seed's program: A-B "
                    "or I,J,K, printing each")
    fu.add_argument("--minimize", action="store_true",
                    help="on a finding, shrink the operations to the fewest that still do it")
    fu.add_argument("--hypervisor", help="a hypervisor ELF (default: the reference)")
    fu.add_argument("--timeout", type=float, default=600.0, help="seconds per boot")
    fu.set_defaults(func=cmd_fuzz)

    fz = sub.add_parser("fuzz-devices", help="fuzz the device models on the host (libFuzzer, "
                        "ASan, UBSan)")
    fz.add_argument("models", nargs="*", help="only these (default: every harness in "
                    "hypervisor/fuzz/)")
    fz.add_argument("--runs", type=int, help="inputs per model (default 100000)")
    fz.add_argument("--seconds", type=int, help="time per model instead (or as well)")
    fz.set_defaults(func=cmd_fuzz_devices)
