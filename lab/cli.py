"""The `lab` command."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import (
    __version__,
    bench,
    bench_consolidation,
    bench_grading,
    bench_linux,
    benchmarks,
    cli_fuzz,
)
from .build import build, project_root
from .config import RunConfig, apply, load_profile
from .errors import LabError
from .features import choose
from .guestlist import parse_spec
from .interactive import attach_console, free_port, gdb_script
from .machine import RunResult, Watch, Watcher, reap_all
from .machine.base import STALL_QUIET
from .platforms import BACKENDS, detect
from .runner import Prepared, prepare
from .teachos import Shell
from .team import team


def _echo(channel: str, line: str) -> None:
    tag = "hv " if channel == "log" else "con"
    print(f"{tag}| {line}", flush=True)


def describe_run(r: RunResult) -> str:
    feats = ",".join(r.summary.features) or "-"
    exits = ""
    if r.summary.exits:
        exits = "; exits " + " ".join(f"{k}={v}" for k, v in r.summary.exits.items())
    return (f"{r.platform} ({r.accel}, cpu {r.cpu}) backend {r.backend}: {r.describe()}; "
            f"features {feats}{exits}; {r.seconds:.1f} s; files in {r.workdir}")


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
                                        "timeout_scale", "persistent_disk", "direct",
                                        "expect", "fail")
             if getattr(a, k, None) is not None}
    for key in ("hypervisor", "guest_kernel", "guest_disk", "sweb"):
        if getattr(a, key) is not None:
            given[key] = str(getattr(a, key))
    if a.guest_module:
        given["guest_modules"] = [str(p) for p in a.guest_module]
    if a.guest_spec:
        given["guests"] = [parse_spec(text, Path.cwd()) for text in a.guest_spec]
    return apply(cfg, given, Path.cwd(), "option").validate()


def _prepare(a: argparse.Namespace) -> tuple[RunConfig, Prepared]:
    cfg = _config(a)
    if not a.no_build:
        build(quiet=True)
    return cfg, prepare(cfg, progress=_sweb_progress)


def _sweb_progress(line: str) -> None:
    print(f"sweb| {line}", flush=True)


def _watches(cfg: RunConfig) -> tuple[list[Watch], list[Watch]]:
    return [Watch.parse(w) for w in cfg.expect], [Watch.parse(w) for w in cfg.fail]


def cmd_run(a: argparse.Namespace) -> int:
    cfg, prep = _prepare(a)
    expect, fail = _watches(cfg)
    timeout = cfg.timeout
    if a.gdb:
        if prep.spec.platform == "bochs":
            raise LabError("--gdb needs a QEMU platform; Bochs has its own debugger")
        prep.spec.gdb_port = free_port()
        script = gdb_script(prep.workdir, prep.spec.hypervisor, prep.spec.gdb_port)
        print(f"waiting for gdb: gdb -x {script}  (the run has no deadline now)", flush=True)
        timeout = 24 * 3600.0
    with prep.boot(None if a.quiet else _echo, limit=timeout) as m:
        # a machine waiting for gdb is stopped on purpose: not a stall
        r = m.wait_end(timeout, expect, fail, wall=True, stall=None if a.gdb else STALL_QUIET)
    print(describe_run(r))
    return 0 if r.passed else 1


def cmd_console(a: argparse.Namespace) -> int:
    cfg, prep = _prepare(a)
    expect, fail = _watches(cfg)
    if a.focus is not None and not 0 <= a.focus < max(1, len(cfg.guests)):
        raise LabError(f"--focus {a.focus}: the run has {max(1, len(cfg.guests))} guest(s)")
    with prep.boot() as m:
        watcher = Watcher(m, expect, fail)
        which = ""
        if m.guests is not None:
            m.focus(a.focus or 0)
            which = f" of guest {a.focus or 0}"
        attach_console(m, f"guest console{which}; Ctrl-] q leaves, Ctrl-] l shows the "
                          f"hypervisor log (all of it: {prep.workdir}/hypervisor.log)\n",
                       keyboard=a.keyboard, until=watcher.check if expect or fail else None,
                       guest=a.focus or 0)
        r = m.wait_end(0.01, expect, fail) if m.running else m.wait_end(5, expect, fail)
    print(describe_run(r))
    return 0 if r.passed or not (expect or fail) else 1


def cmd_grade(a: argparse.Namespace) -> int:
    """pytest scenarios/ with the grader's options; the table comes from the plugin."""
    args = [sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider",
            "--timeout-scale", str(a.timeout_scale), "--report-dir", str(a.report_dir.resolve())]
    sweb, backend = a.sweb, a.backend
    feature = choose(a.feature, where="--feature") if a.feature else None
    if a.hypervisor is not None:
        t = team(a.hypervisor)
        args.append(f"--hypervisor={t.hypervisor}")  # one word: see run.sh
        sweb = sweb or t.sweb  # the command line wins over the team file
        backend = backend or t.backend
        feature = feature or t.feature
    args.append(f"--backend={backend or 'both'}")
    if feature is not None:
        args.append(f"--feature={feature.name}")
        if feature.tests is not None:  # the team's file is collected beside scenarios/
            args += [f"--feature-tests={feature.tests}", str(feature.tests),
                     f"--rootdir={project_root()}"]
    if sweb is not None:
        args.append(f"--sweb={Path(sweb).resolve()}")
    if a.kvm_unit_tests is not None:
        args.append(f"--kvm-unit-tests={a.kvm_unit_tests.resolve()}")
    if a.milestone:
        args += ["-m", a.milestone]
    if a.jobs != "1":
        args += ["-n", a.jobs]
    (a.report_dir / "grade.json").unlink(missing_ok=True)  # never read an older grade
    status = subprocess.call(args, cwd=project_root())
    try:
        grade = json.loads((a.report_dir / "grade.json").read_text())
    except (OSError, ValueError):
        return status or 2  # pytest did not get as far as a grade
    if grade.get("not_a_grade"):  # whatever passed or failed: say so in the status too
        print(f"lab: {grade['not_a_grade'][0]}", file=sys.stderr)
        return GRADE_INCOMPLETE
    return status


GRADE_INCOMPLETE = 3  # lab grade's exit status when the total is not the grade


def cmd_class(a: argparse.Namespace) -> int:
    """Grade a course's teams (all, one with --team, or none: --merge combines the results
    that CI jobs graded) into the class table."""
    from . import classgrade, classtable
    from .course import load_course

    if a.team and a.merge:
        raise LabError("give --team (grade one team) or --merge (combine results), not both")
    course = load_course(a.course)
    teams = [course.team(a.team)] if a.team else course.teams
    now = classtable.utcnow()
    out = a.out.resolve()
    merged = classtable.merge(course, a.merge, out) if a.merge else {}
    rows = []
    for t in teams:
        if a.merge:
            results = merged.get(t.name) or classtable.missing(
                course, now, "no result to merge (did its CI job fail?)")
        else:
            results = classgrade.grade_team(course, t, out, now,
                                            lambda line: print(line, flush=True))
        rows.append(classtable.score(course, t, classtable.complete(course, results, now)))
        if not a.merge:  # each team's result as soon as it is known: a crash keeps it
            classtable.write_team(course, rows[-1], out, now)
    print("\n".join(classtable.table(course, rows, now)))
    if a.team:
        print(f"result: {classtable.team_file(out, a.team)} (combine with --merge)")
    else:
        print(f"class table: {', '.join(str(p) for p in classtable.write(course, rows, out, now))}")
    return 0


DEMO_COMMANDS = ["help", "ls", "echo hello from the lab > note.txt", "cat note.txt", "hello",
                 "bigfile 1", "uptime"]


def _demo_echo(channel: str, line: str) -> None:
    # The hypervisor's own log is long; its contract markers tell the story (the exit
    # counts come once, in the run's last line).
    if channel == "console" or (line.startswith("@lab") and not line.startswith("@lab exits")):
        _echo(channel, line)


def cmd_demo(a: argparse.Namespace) -> int:
    """The README's main job: build, then boot the reference hypervisor with TeachOS on every
    platform here, drive its shell, and shut it down."""
    out = build()
    print(f"built {out.hypervisor} and TeachOS ({out.os_kernel}, {out.os_disk})\n")
    failed = 0
    for p in detect():
        for b in BACKENDS:
            if not p.can(b):
                print(f"== {p.name} / {b}: not here: {p.backends[b].why}\n")
                continue
            print(f"== {p.name} / {b}: the reference hypervisor boots TeachOS")
            cfg = RunConfig(platform=p.name, backend=b, guest_kernel=out.os_kernel,
                            guest_disk=out.os_disk, timeout_scale=a.timeout_scale)
            prep = prepare(cfg, outputs=out)
            with prep.boot(_demo_echo) as m:
                shell = Shell(m, 120)
                shell.wait_ready()
                for command in DEMO_COMMANDS:
                    shell.run(command, deadline=300)
                m.send("shutdown\r")
                r = m.wait_end(120)
            print(f"   -> {describe_run(r)}\n")
            failed += not r.passed
    return 1 if failed else 0


def add_run_options(r: argparse.ArgumentParser) -> None:
    r.add_argument("--profile", type=Path, help="a YAML machine profile")
    r.add_argument("--platform", help="auto, qemu-kvm, qemu-tcg or bochs")
    r.add_argument("--backend", help="auto, vmx or svm")
    r.add_argument("--hypervisor", type=Path, help="a hypervisor ELF (default: the reference)")
    r.add_argument("--guest", help="a test guest by name (images/tests/NAME.c)")
    r.add_argument("--guest-kernel", type=Path, help="any Multiboot guest kernel")
    r.add_argument("--guest-args", help="the guest's command line")
    r.add_argument("--guest-module", type=Path, action="append", metavar="FILE",
                   help="a file handed on to the guest as a Multiboot module, its name as "
                        "the module's string (repeatable, in order)")
    r.add_argument("--sweb", type=Path,
                   help="boot SWEB as the guest: a SWEB source tree (built first, with its own "
                        "CMake) or a build folder holding kernel.x and SWEB.qcow2")
    r.add_argument("--guest-disk", type=Path,
                   help="a raw disk image for the guest (runs use a copy-on-write overlay)")
    r.add_argument("--persistent-disk", action="store_true", default=None,
                   help="write the guest disk image itself, so files survive to the next boot")
    r.add_argument("--guest-spec", action="append", metavar="KEY=VALUE,...",
                   help="one guest of several (CONTRACT.md 10), in order: kernel=PATH, "
                        "guest=NAME or sweb=PATH, then args=WORDS, mem=MiB, disk=PATH, "
                        "persistent; repeat for each guest (replaces the one-guest options)")
    r.add_argument("--direct", action="store_true", default=None,
                   help="boot the guest kernel with no hypervisor (the baseline)")
    r.add_argument("--cpu", help="emulated CPU model (e.g. qemu64,svm=off)")
    r.add_argument("--memory", type=int, help="MiB of the emulated machine")
    r.add_argument("--guest-memory", type=int, help="MiB of guest RAM")
    r.add_argument("--append", help="extra hypervisor command-line words")
    r.add_argument("--timeout", type=float,
                   help="wall-clock seconds for the whole run (default 300; never scaled)")
    r.add_argument("--expect", action="append", metavar="TEXT",
                   help="end the run as passed when TEXT appears on the guest console "
                        "(screen:TEXT: on the VGA screen); repeatable")
    r.add_argument("--fail", action="append", metavar="TEXT",
                   help="end the run as failed when TEXT appears (screen:TEXT as above)")
    r.add_argument("--timeout-scale", type=float,
                   help="multiply the step deadlines of scripted jobs (demo, bench)")
    r.add_argument("--no-build", action="store_true", help="do not rebuild first")


def cmd_mutants(a: argparse.Namespace) -> int:
    """Build each mutant of the reference and run the scenarios that should kill it."""
    from . import mutants

    chosen = mutants.load()
    if a.names:
        known = {m.name for m in chosen}
        unknown = [n for n in a.names if n not in known]
        if unknown:
            raise LabError(f"unknown mutant {unknown[0]} (known: {', '.join(sorted(known))})")
        chosen = [m for m in chosen if m.name in a.names]
    sweb = Path(a.sweb) if a.sweb else (DEFAULT_SWEB if DEFAULT_SWEB.is_dir() else None)
    kut = Path(a.kvm_unit_tests) if a.kvm_unit_tests else (
        DEFAULT_KUT if DEFAULT_KUT.exists() else None)
    guests = tuple([f"--sweb={sweb.resolve()}"] if sweb else []) + tuple(
        [f"--kvm-unit-tests={kut.resolve()}"] if kut else [])
    work = build(quiet=True).build / "mutants"
    nodes = sorted({n for m in chosen for n in m.killed_by})
    if a.no_reference:
        valid = set(nodes)
    else:
        ref = mutants.control(nodes, work / "reference", guests)
        valid = {n for n, o in ref.items() if o == "passed"}
        print(f"reference: {len(valid)} of {len(nodes)} killing scenarios pass", flush=True)
        for node in nodes:
            if node not in valid:
                print(f"  {ref[node]:<12} {node}  (proves nothing: not passed on the reference)")
    survivors = []
    for m in chosen:
        mutants.check(m, work / m.name, guests)
        killed = m.killed_where(valid)
        print(f"{m.name}: {'killed' if killed else 'SURVIVED'} ({m.fault})", flush=True)
        for node, outcome in m.outcomes.items():
            print(f"  {outcome:<12} {node}")
        if not killed:
            survivors.append(m.name)
    table = mutants.kills(chosen, valid)
    uncovered = []
    if not a.names:  # the whole set: does every scenario kill at least one?
        print("scenario -> mutants it killed:")
        for name in mutants.all_scenarios():
            print(f"  {name}: {', '.join(table.get(name, [])) or 'NONE'}")
            if name not in table:
                uncovered.append(name)
    report = {"reference": {n: ("passed" if n in valid else "not-passed") for n in nodes},
              "mutants": {m.name: {"fault": m.fault, "outcomes": m.outcomes,
                                   "killed": m.name not in survivors} for m in chosen},
              "scenarios": table, "uncovered": uncovered}
    (work / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"mutation score: {len(chosen) - len(survivors)} of {len(chosen)} killed"
          + (f"; survived: {', '.join(survivors)}" if survivors else "")
          + (f"; {len(uncovered)} scenarios killed none" if uncovered else "")
          + f" (report: {work / 'report.json'})")
    return 1 if survivors or uncovered or len(valid) < len(nodes) else 0


DEFAULT_SWEB = project_root().parent / "shared" / "sweb"  # the course's build beside the lab
DEFAULT_KUT = project_root().parent / "shared" / "kvm-unit-tests"  # and kvm-unit-tests' source
# `lab grade` takes every core, up to this many: the reference's grading is about 460 s on
# one worker and about 250 s on two (issue 14: 300 s on 2 cores at most)
MAX_DEFAULT_JOBS = 4
DEFAULT_JOBS = str(max(1, min(os.cpu_count() or 1, MAX_DEFAULT_JOBS)))


def cmd_bench(a: argparse.Namespace) -> int:
    """Run a benchmark on every platform here; write its figures and compare them."""
    out = build(quiet=True)
    platforms = detect()
    if a.which == "exitcost":
        results = benchmarks.exitcost(platforms, a.timeout_scale, print)
    elif a.which == "linux":
        results = bench_linux.linux_boot(out, platforms, a.timeout_scale, print)
    elif a.which == "grading":
        sweb = a.sweb or (DEFAULT_SWEB if DEFAULT_SWEB.is_dir() else None)
        options = ["-n", "2", "--timeout-scale", str(a.timeout_scale)]
        results = bench_grading.grading(out.build / "bench" / "grading", options + (
            [f"--sweb={Path(sweb).resolve()}"] if sweb else []), print)
    elif a.which == "consolidation":
        sweb = a.sweb or (DEFAULT_SWEB if DEFAULT_SWEB.is_dir() else None)
        if sweb is None:
            raise LabError("consolidation boots SWEBs: give --sweb PATH")
        results = bench_consolidation.consolidation(out, Path(sweb), platforms,
                                                    a.timeout_scale, print, a.target)
        for target, figures in results.items():
            print("\n".join(bench_consolidation.table(target, figures)))
            for line in bench_consolidation.goal_lines(figures):
                print(f"  {target} {line}")
    else:
        results = benchmarks.teachos(out, platforms, a.timeout_scale, print)
        sweb = a.sweb or (DEFAULT_SWEB if DEFAULT_SWEB.is_dir() else None)
        if sweb is None:
            print("SWEB boot: skipped (no SWEB: give --sweb PATH)")
        else:
            for target, figures in benchmarks.sweb_boot(out, sweb, platforms,
                                                        a.timeout_scale, print).items():
                results.setdefault(target, {}).update(figures)
    latest = out.build / "bench" / f"{a.which}.json"
    bench.save(latest, results)
    baseline = project_root() / "bench" / f"{a.which}-baseline.json"
    changes = bench.compare(bench.load(baseline), results)
    for change in changes:
        print("  " + change.describe())
    if a.save:
        bench.save(baseline, results, note="lab bench --save")
        print(f"baseline saved: {baseline}")
    print(f"results: {latest}")
    missed = bench.missed_goals(results)
    for line in missed:
        print(f"goal missed: {line}")
    grown = [] if a.save else bench.grown(changes)
    for line in grown:
        print(f"cost grew: {line}")
    return 1 if missed or grown else 0


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
    add_run_options(r)
    r.add_argument("-q", "--quiet", action="store_true", help="do not show the channels live")
    r.add_argument("--gdb", action="store_true",
                   help="QEMU: wait for gdb before the first instruction (prints how)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("console", help="boot and attach this terminal to the guest console")
    add_run_options(c)
    c.add_argument("--focus", type=int, metavar="N",
                   help="with several guests: attach to guest N (the focus moves to it)")
    c.add_argument("--keyboard", action="store_true",
                   help="send typed keys to the PS/2 keyboard instead of COM1 (for SWEB)")
    c.set_defaults(func=cmd_console)

    g = sub.add_parser("grade", help="run the graded scenarios and print the grade table")
    g.add_argument("--hypervisor", type=Path,
                   help="a team's hypervisor ELF, or a team folder with lab-team.yaml")
    g.add_argument("--sweb", type=Path,
                   help="the SWEB for m4-m6: a source tree or a build folder (default: the "
                        "team file's sweb:; with none, the SWEB scenarios are skipped)")
    g.add_argument("--backend", choices=("vmx", "svm", "both"),
                   help="grade these backend(s) alone (default: the team file's backend:, "
                        "else both)")
    g.add_argument("--feature", help="the feature m5 and m6 count: consolidation or dedup "
                                      "(default: the team file's feature:, else consolidation)")
    g.add_argument("--kvm-unit-tests", type=Path,
                   help="kvm-unit-tests for the conformance group (no points): a source tree "
                        "or its tarball; without it those cases are skipped")
    g.add_argument("-m", "--milestone", help="only this milestone (m1 ... m6)")
    g.add_argument("--timeout-scale", type=float, default=1.0)
    g.add_argument("--report-dir", type=Path, default=Path("reports"))
    g.add_argument("-n", "--jobs", default=DEFAULT_JOBS,
                   help="parallel workers (pytest-xdist; default: the machine's cores, at "
                        f"most {MAX_DEFAULT_JOBS}: {DEFAULT_JOBS} here)")
    g.set_defaults(func=cmd_grade)

    cl = sub.add_parser("class", help="grade a course's teams at their deadlines into a table")
    cl.add_argument("course", type=Path, help="the course file (YAML: milestones, teams)")
    cl.add_argument("--team", help="grade only this team and write its out/team-NAME.json")
    cl.add_argument("--merge", nargs="+", metavar="PATH",
                    help="grade nothing: combine team-*.json files (or folders holding them, "
                         "or globs) into the class table")
    cl.add_argument("--out", type=Path, default=Path("reports/class"),
                    help="the table, the team reports and the clones (default reports/class)")
    cl.set_defaults(func=cmd_class)

    be = sub.add_parser("bench", help="benchmark figures per platform, against the baseline")
    be.add_argument("which", nargs="?", default="exitcost",
                    choices=["exitcost", "os", "linux", "grading", "consolidation"],
                    help="exitcost (the default), os (TeachOS boot and disk vs direct), "
                         "linux (Debian's kernel to its shell vs direct, QEMU), grading "
                         "(broken hypervisors graded beside the reference) or "
                         "consolidation (1, 2 and 4 SWEBs, without and with dedup)")
    be.add_argument("--save", action="store_true", help="make these figures the baseline")
    be.add_argument("--sweb", type=Path,
                    help="os: also boot this SWEB; consolidation: the SWEB booted (default: "
                         "../shared/sweb when it exists)")
    be.add_argument("--target", action="append", metavar="PLATFORM-BACKEND",
                    help="consolidation: run on this target, qemu-tcg-svm or bochs-vmx "
                         "(repeatable; default qemu-tcg-svm: Bochs takes about 6 minutes)")
    be.add_argument("--timeout-scale", type=float, default=1.0)
    be.set_defaults(func=cmd_bench)

    mu = sub.add_parser("mutants", help="check that the scenarios fail on broken hypervisors")
    mu.add_argument("names", nargs="*", help="only these mutants (tests/mutants/m*.yaml)")
    mu.add_argument("--sweb", help="SWEB for its scenarios (default: ../shared/sweb if there)")
    mu.add_argument("--kvm-unit-tests", help="kvm-unit-tests for the conformance scenarios "
                    "(default: ../shared/kvm-unit-tests if there)")
    mu.add_argument("--no-reference", action="store_true",
                    help="skip the reference run that checks each killing scenario passes")
    mu.set_defaults(func=cmd_mutants)

    cli_fuzz.add_parsers(sub)

    d = sub.add_parser("demo", help="build and boot the reference hypervisor everywhere")
    d.add_argument("--timeout-scale", type=float, default=1.0)
    d.set_defaults(func=cmd_demo)
    return ap


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):  # a killed lab (or a closed terminal)
        signal.signal(sig, _terminate)  # still reaps its emulators
    # A lab started in the background of a script inherits SIGINT ignored, and Python then
    # keeps it so: kill -INT would leave it running. It is a Ctrl-C whatever the parent did.
    signal.signal(signal.SIGINT, signal.default_int_handler)
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
