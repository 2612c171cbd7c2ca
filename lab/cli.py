"""The `lab` command."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from . import __version__
from .build import build
from .config import RunConfig, apply, load_profile
from .errors import LabError
from .machine import RunResult, reap_all
from .platforms import BACKENDS, detect
from .runner import run


def _echo(channel: str, line: str) -> None:
    tag = "hv " if channel == "log" else "con"
    print(f"{tag}| {line}", flush=True)


def describe_run(r: RunResult) -> str:
    feats = ",".join(r.summary.features) or "-"
    return (f"{r.platform} ({r.accel}, cpu {r.cpu}) backend {r.backend}: {r.describe()}; "
            f"features {feats}; {r.seconds:.1f} s; files in {r.workdir}")


def cmd_build(a: argparse.Namespace) -> int:
    out = build(verbose=a.verbose)
    print(f"built: {out.hypervisor}, {out.hypervisor32}, {out.iso}")
    return 0


def cmd_platforms(a: argparse.Namespace) -> int:
    for p in detect():
        print(f"{p.name:9} accel {p.accel}")
        for b in BACKENDS:
            s = p.backends[b]
            print(f"  {b}: {'yes' if s.ok else 'no '} - {s.why}")
    return 0


def _config(a: argparse.Namespace) -> RunConfig:
    cfg = load_profile(a.profile) if a.profile else RunConfig()
    given = {k: getattr(a, k) for k in ("platform", "backend", "guest", "guest_args", "cpu",
                                        "memory", "guest_memory", "append", "timeout",
                                        "timeout_scale") if getattr(a, k) is not None}
    for key in ("hypervisor", "guest_kernel"):
        if getattr(a, key) is not None:
            given[key] = str(getattr(a, key))
    return apply(cfg, given, Path.cwd(), "option").validate()


def cmd_run(a: argparse.Namespace) -> int:
    cfg = _config(a)
    if not a.no_build and cfg.hypervisor is None:
        build(quiet=True)
    r = run(cfg, echo=None if a.quiet else _echo)
    print(describe_run(r))
    return 0 if r.passed else 1


def cmd_demo(a: argparse.Namespace) -> int:
    """The README's main job: build, then boot the reference hypervisor on every platform."""
    out = build()
    print(f"built {out.hypervisor}\n")
    failed = 0
    for p in detect():
        for b in BACKENDS:
            if not p.can(b):
                print(f"== {p.name} / {b}: not here: {p.backends[b].why}")
                continue
            print(f"== {p.name} / {b}")
            r = run(RunConfig(platform=p.name, backend=b, timeout_scale=a.timeout_scale),
                    echo=_echo)
            print(f"   -> {describe_run(r)}\n")
            failed += not r.passed
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="lab", description=__doc__)
    ap.add_argument("--version", action="version", version=f"lab {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the hypervisor and the guest images")
    b.add_argument("-v", "--verbose", action="store_true", help="show every command")
    b.set_defaults(func=cmd_build)

    p = sub.add_parser("platforms", help="which platforms can run VMX and SVM here, and why")
    p.set_defaults(func=cmd_platforms)

    r = sub.add_parser("run", help="boot the hypervisor (and a guest) and wait for the end")
    r.add_argument("--profile", type=Path, help="a YAML machine profile")
    r.add_argument("--platform", help="auto, qemu-kvm, qemu-tcg or bochs")
    r.add_argument("--backend", help="auto, vmx or svm")
    r.add_argument("--hypervisor", type=Path, help="a hypervisor ELF (default: the reference)")
    r.add_argument("--guest", help="a test guest by name (images/tests/NAME.c)")
    r.add_argument("--guest-kernel", type=Path, help="any Multiboot guest kernel")
    r.add_argument("--guest-args", help="the guest's command line")
    r.add_argument("--cpu", help="emulated CPU model (e.g. qemu64,svm=off)")
    r.add_argument("--memory", type=int, help="MiB of the emulated machine")
    r.add_argument("--guest-memory", type=int, help="MiB of guest RAM")
    r.add_argument("--append", help="extra hypervisor command-line words")
    r.add_argument("--timeout", type=float, help="seconds for the run (scaled by platform)")
    r.add_argument("--timeout-scale", type=float, help="multiply every deadline")
    r.add_argument("--no-build", action="store_true", help="do not rebuild first")
    r.add_argument("-q", "--quiet", action="store_true", help="do not show the channels live")
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="build and boot the reference hypervisor everywhere")
    d.add_argument("--timeout-scale", type=float, default=1.0)
    d.set_defaults(func=cmd_demo)
    return ap


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # a killed lab still reaps its emulators
    try:
        return a.func(a)
    except LabError as e:
        print(f"lab: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lab: interrupted; emulators stopped", file=sys.stderr)
        return 130
    finally:
        reap_all()


if __name__ == "__main__":
    sys.exit(main())
