"""A guest-side fuzzer campaign (`lab fuzz`): the fuzzer guest (images/tests/fuzzer.c) runs a
seeded random program of exit-causing operations under the hypervisor, in boots of CHUNK
operations each, until the hypervisor has taken the asked-for number of exits.

Operation i of a program depends only on (seed, i). A boot that does not end with the guest's
own pass (the hypervisor panicked, hung, reset, or stopped the guest) is a finding: the last
checkpoint the guest printed bounds where it happened, a verbose replay of that stretch names
the last operations, and `minimize` shrinks them to the fewest that still do it. The
hypervisor's `@lab exits` line says which exit handlers the campaign reached.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .config import RunConfig
from .contract import EndCode
from .machine.base import STALL_QUIET
from .runner import prepare

CHUNK = 20000        # operations per boot: a boot takes seconds, even on Bochs
CHECKPOINT = 1000    # the guest prints "at op I" this often (fuzzer.c)
REPLAY_TAIL = 10     # operations shown before a finding
# The exit kinds the reference counts (hypervisor/core/run.c), for the coverage line.
EXIT_KINDS = ("cpuid", "io", "rdmsr", "wrmsr", "cr", "hlt", "hypercall", "npf", "exception",
              "extint", "intr-window", "shutdown", "preempt", "entry-fail", "ud", "invd",
              "xsetbv", "unhandled")
AT_OP = re.compile(r"^at op (\d+)$", re.M)
OP_LINE = re.compile(r"^op (\d+): (.*)$", re.M)


@dataclass
class Boot:
    """One boot of the fuzzer guest: did it survive, how far it got, what it cost."""

    survived: bool
    how: str                  # how the run ended, in the lab's words
    console: str
    exits: dict[str, int]
    last_checkpoint: int | None

    def ops_seen(self) -> list[tuple[int, str]]:
        return [(int(i), text) for i, text in OP_LINE.findall(self.console)]


@dataclass
class Campaign:
    seed: int
    target: tuple[str, str]
    operations: int = 0
    exits: Counter = field(default_factory=Counter)
    boots: int = 0
    finding: Boot | None = None
    first_op: int = 0          # of the boot that found it
    last_ops: list[tuple[int, str]] = field(default_factory=list)

    def coverage(self) -> str:
        reached = [f"{k} {self.exits[k]}" for k in EXIT_KINDS if self.exits.get(k)]
        never = [k for k in EXIT_KINDS if not self.exits.get(k)]
        return (f"exit handlers reached: {', '.join(reached) or 'none'}; "
                f"never: {', '.join(never) or 'none'}")


def boot(target: tuple[str, str], args: str, timeout: float, hypervisor=None,
         timeout_scale: float = 1.0) -> Boot:
    platform, backend = target
    cfg = RunConfig(platform=platform, backend=backend, guest="fuzzer", guest_args=args,
                    timeout=timeout, timeout_scale=timeout_scale, hypervisor=hypervisor)
    prep = prepare(cfg)
    with prep.boot(None, limit=timeout) as m:
        r = m.wait_end(timeout, wall=True, stall=STALL_QUIET)
    console = (r.workdir / "console.log").read_text(errors="replace")
    checkpoints = AT_OP.findall(console)
    survived = r.end_code == EndCode.PASS and "fuzz done:" in console
    return Boot(survived=survived, how=r.describe() if not survived else "passed",
                console=console, exits=dict(r.summary.exits),
                last_checkpoint=int(checkpoints[-1]) if checkpoints else None)


def campaign(target: tuple[str, str], seed: int, exits: int, timeout: float = 600,
             hypervisor=None, say: Callable[[str], None] = print) -> Campaign:
    """Boots of CHUNK operations until `exits` exits or a finding; the finding's last
    operations are found by a verbose replay of the stretch after its last checkpoint."""
    c = Campaign(seed=seed, target=target)
    while sum(v for k, v in c.exits.items() if k != "total") < exits:
        first = c.operations
        b = boot(target, f"seed={seed} first={first} count={CHUNK}", timeout, hypervisor)
        c.boots += 1
        c.exits.update({k: v for k, v in b.exits.items() if k in EXIT_KINDS})
        if not b.survived:
            c.finding, c.first_op = b, first
            start = b.last_checkpoint if b.last_checkpoint is not None else first
            say(f"finding in operations {start}..{start + CHECKPOINT - 1}: {b.how}; "
                "replaying them one by one")
            replay = boot(target, f"seed={seed} first={start} count={CHECKPOINT} verbose=1",
                          timeout, hypervisor)
            c.last_ops = replay.ops_seen()[-REPLAY_TAIL:]
            return c
        c.operations += CHUNK
        say(f"{c.operations} operations, {sum(c.exits.values())} exits")
    return c


def survives(target: tuple[str, str], seed: int, ops: list[int], timeout: float,
             hypervisor=None) -> bool:
    return boot(target, f"seed={seed} ops={','.join(map(str, ops))}", timeout,
                hypervisor).survived


def minimize(target: tuple[str, str], seed: int, ops: list[int], timeout: float = 300,
             hypervisor=None, say: Callable[[str], None] = print) -> list[int]:
    """Delta debugging (Zeller's ddmin) over operation indices: the smallest list found that
    still does not survive. `ops` must not survive to begin with."""
    n = 2
    while len(ops) >= 2:
        size = -(-len(ops) // n)
        chunks = [ops[i:i + size] for i in range(0, len(ops), size)]
        for i, chunk in enumerate(chunks):
            rest = [op for k, ch in enumerate(chunks) if k != i for op in ch]
            if not survives(target, seed, chunk, timeout, hypervisor):
                ops, n = chunk, 2
                break
            if len(chunks) > 2 and not survives(target, seed, rest, timeout, hypervisor):
                ops, n = rest, max(n - 1, 2)
                break
        else:
            if n >= len(ops):
                break
            n = min(len(ops), n * 2)
        say(f"minimizing: {len(ops)} operations")
    return ops
