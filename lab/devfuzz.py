"""The device models under libFuzzer (`lab fuzz-devices`): each harness in hypervisor/fuzz/
built with clang's -fsanitize=fuzzer,address,undefined, run for a number of inputs or a
time, and reported with its coverage and any finding (the input that crashed it is kept).

The harnesses have their own Ninja file (build/fuzz/build.ninja): clang is needed for them
alone, never for the hypervisor.
"""
from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .build import build_dir, ninja_binary, project_root
from .errors import BuildError

FUZZ_CFLAGS = ("-std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined "
               "-fno-sanitize-recover=all -Ihypervisor/include -Ihypervisor/devices")
INSTALL_HINT = "apt-get install clang libclang-rt-14-dev"


@dataclass
class FuzzResult:
    name: str
    runs: int
    seconds: float
    coverage: int     # libFuzzer's edges covered ("cov:")
    features: int     # and features ("ft:")
    finding: str      # "" or the first line of the sanitizer's or libFuzzer's report
    artifact: Path | None  # the input that triggered it

    @property
    def line(self) -> str:
        verdict = f"FINDING: {self.finding} (input: {self.artifact})" if self.finding else \
            "0 findings"
        rate = self.runs / self.seconds if self.seconds else 0
        return (f"{self.name:<7} {self.runs:>10} inputs in {self.seconds:6.1f} s "
                f"({rate:,.0f}/s), coverage {self.coverage} edges, {self.features} features:"
                f" {verdict}")


def harnesses(root: Path | None = None) -> list[str]:
    """The models with a harness: hypervisor/fuzz/fuzz_NAME.c gives NAME."""
    root = root or project_root()
    return sorted(p.stem[len("fuzz_"):] for p in (root / "hypervisor" / "fuzz")
                  .glob("fuzz_*.c"))


def build_fuzzers(names: list[str], root: Path | None = None) -> dict[str, Path]:
    """Builds the named harnesses; their binaries by name."""
    root = root or project_root()
    if shutil.which("clang") is None:
        raise BuildError(f"clang is missing, and with it libFuzzer: {INSTALL_HINT}")
    out = build_dir(root) / "fuzz"
    out.mkdir(parents=True, exist_ok=True)
    devices = sorted(p.relative_to(root).as_posix()
                     for p in (root / "hypervisor" / "devices").glob("*.c"))
    lines = ["ninja_required_version = 1.10", f"builddir = {out}", "rule fuzzcc",
             f"  command = clang {FUZZ_CFLAGS} -MMD -MF $out.d -o $out $in",
             "  depfile = $out.d", "  deps = gcc", "  description = FUZZCC $out", ""]
    bins = {}
    for name in names:
        bins[name] = out / f"fuzz_{name}"
        lines.append(f"build {bins[name]}: fuzzcc hypervisor/fuzz/fuzz_{name}.c "
                     f"{' '.join(devices)}")
    graph = out / "build.ninja"
    text = "\n".join(lines) + "\n"
    with open(out / ".build.lock", "w") as lock:  # one ninja at a time (lab/build.py)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not graph.is_file() or graph.read_text() != text:
            graph.write_text(text)
        done = subprocess.run([ninja_binary(), "-f", str(graph)] +
                              [str(b) for b in bins.values()], cwd=root,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-8:]
        if any("libclang_rt.fuzzer" in t or "-lFuzzer" in t for t in tail):
            raise BuildError(f"clang has no libFuzzer here: {INSTALL_HINT}")
        raise BuildError("building the fuzzers failed:\n" + "\n".join(tail))
    return bins


STATS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+)", re.M)
DONE = re.compile(r"^Done (\d+) runs in", re.M)
FINDING = re.compile(r"^(==\d+==ERROR: .*|.*runtime error: .*|==\d+== ERROR: libFuzzer: .*)$",
                     re.M)
ARTIFACT = re.compile(r"Test unit written to (\S+)")


def run_fuzzer(name: str, binary: Path, runs: int | None = None, seconds: int | None = None,
               root: Path | None = None) -> FuzzResult:
    """One campaign: `runs` inputs, or `seconds` of fuzzing; its corpus is kept between
    campaigns in build/fuzz/corpus/NAME, a finding's input in build/fuzz/findings/."""
    root = root or project_root()
    base = build_dir(root) / "fuzz"
    corpus = base / "corpus" / name
    findings = base / "findings"
    corpus.mkdir(parents=True, exist_ok=True)
    findings.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), "-print_final_stats=1", f"-artifact_prefix={findings}/{name}-",
           "-max_len=4096"]
    if runs is not None:
        cmd.append(f"-runs={runs}")
    if seconds is not None:
        cmd.append(f"-max_total_time={seconds}")
    cmd.append(str(corpus))
    start = time.monotonic()
    done = subprocess.run(cmd, cwd=root, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace")
    elapsed = time.monotonic() - start
    log = done.stdout + done.stderr
    stats = STATS.findall(log)
    total = DONE.search(log)
    found = FINDING.search(log)
    artifact = ARTIFACT.search(log)
    finding = found.group(1).strip() if found else (
        f"the fuzzer exited with {done.returncode}" if done.returncode else "")
    return FuzzResult(name=name,
                      runs=int(total.group(1)) if total else int(stats[-1][0]) if stats else 0,
                      seconds=elapsed,
                      coverage=int(stats[-1][1]) if stats else 0,
                      features=int(stats[-1][2]) if stats else 0,
                      finding=finding[:300],
                      artifact=Path(artifact.group(1)) if artifact else None)
