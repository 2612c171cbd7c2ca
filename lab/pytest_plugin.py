"""The lab's pytest plugin: options, the grader, and the report files."""
from __future__ import annotations

import json
import platform as pyplatform
import time
from pathlib import Path

import pytest

from . import features
from .errors import LabError
from .grading import Grader
from .report import write_html, write_json

pytest_plugins = ["lab.fixtures"]  # the grader's fixtures: boot, lab_outputs, sweb, ...


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("lab", "nested-virtualization lab")
    g.addoption("--hypervisor", type=Path, default=None,
                help="grade this hypervisor ELF instead of the reference one")
    g.addoption("--sweb", type=Path, default=None,
                help="the SWEB to boot in the m4-m6 scenarios: a SWEB source tree (built "
                     "with its own CMake) or a build folder with kernel.x and SWEB.qcow2")
    g.addoption("--kvm-unit-tests", type=Path, default=None,
                help="kvm-unit-tests for the conformance scenarios: a source tree or its "
                     "release tarball (built here, in a copy)")
    g.addoption("--kvm-unit-tests-slow", action="store_true",
                help="also the slow kvm-unit-tests' baselines (sieve booted directly: about "
                     "a minute on QEMU TCG, left out of the suite's budget)")
    g.addoption("--timeout-scale", type=float, default=1.0,
                help="multiply every step deadline (a slow runner)")
    g.addoption("--keep-runs", action="store_true",
                help="keep the run folders of passing scenarios too")
    g.addoption("--report-dir", type=Path, default=Path("reports"),
                help="where grade.json, grade.html, junit.xml and failure bundles go")
    g.addoption("--backend", choices=("vmx", "svm", "both"), default="both",
                help="the backend(s) the graded hypervisor builds for (lab-team.yaml's "
                     "backend:); the reference is both")
    g.addoption("--all-platforms", action="store_true",
                help="also run each scenario on the platforms it is not graded on here "
                     "(not counted; the lab's own CI)")
    g.addoption("--feature", default=features.DEFAULT,
                help="the feature m5 and m6 count (lab-team.yaml's feature:; default "
                     f"{features.DEFAULT}); a team is graded on it alone")
    g.addoption("--feature-tests", type=Path, default=None,
                help="the team's own scenario file for a feature outside the catalogue "
                     "(lab-team.yaml's feature_tests:); give it as a test path too")
    g.addoption("--all-features", action="store_true",
                help="also run the features not chosen (not counted); the default when "
                     "grading the reference")
    g.addoption("--keep-alive", action="store_true",
                help="when a scenario fails, keep its machine running for inspection "
                     "until Enter is pressed (use with -x and -s)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "grade(milestone, points, title): a graded scenario")
    config.addinivalue_line("markers", "robustness: a hostile guest, outside the course's points")
    config.addinivalue_line("markers", "conformance: the CPU a guest is told of behaves as "
                                       "hardware, outside the course's points")
    config.addinivalue_line("markers", "prerequisite: boots without first asking whether the "
                                       "hypervisor boots (lab.prerequisite)")
    try:
        choice = features.choose(config.getoption("--feature"),
                                 config.getoption("--feature-tests"), where="--feature")
    except LabError as e:
        raise pytest.UsageError(str(e)) from None
    reference = config.getoption("--hypervisor") is None
    grader = Grader(config.getoption("--backend"),
                    all_platforms=config.getoption("--all-platforms"), feature=choice,
                    # the reference shows every feature; a team, its own alone
                    all_features=config.getoption("--all-features") or reference,
                    reference=reference)
    config.pluginmanager.register(grader, "lab-grader")
    config.stash_grader = grader  # type: ignore[attr-defined]
    report_dir = config.getoption("--report-dir")
    if not getattr(config.option, "xmlpath", None) and not hasattr(config, "workerinput"):
        config.option.xmlpath = str(report_dir / "junit.xml")


def pytest_collection_finish(session: pytest.Session) -> None:
    """The grading plan: every graded case with its points and whether it counts (what
    `--collect-only` shows a team before a run)."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    plan = [dict(nodeid=item.nodeid, **item.lab_grade) for item in session.items
            if hasattr(item, "lab_grade")]
    if plan:
        path: Path = config.getoption("--report-dir") / "plan.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(plan, indent=1) + "\n")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say how step deadlines are scaled, and which SWEB is graded: both change outcomes."""
    from .machine.base import SLOWNESS

    scale = config.getoption("--timeout-scale")
    per = ", ".join(f"{p} {f:g}x" for p, f in SLOWNESS.items())
    sweb = config.getoption("--sweb")
    grader: Grader = config.stash_grader  # type: ignore[attr-defined]
    return [f"lab: graded {grader.graded_where()}" + (" (and every other platform, not counted)"
                                      if config.getoption("--all-platforms") else ""),
            f"lab: step deadlines scaled per platform ({per}), times --timeout-scale {scale:g}",
            f"lab: SWEB {sweb}" if sweb else "lab: no --sweb: the SWEB scenarios are skipped"]


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    grader: Grader = config.stash_grader  # type: ignore[attr-defined]
    if not grader.results or hasattr(config, "workerinput"):
        return
    tr = terminalreporter
    tr.section("grade")
    for line in grader.table() + grader.time_lines():
        tr.write_line(line)
    width = max(len(r.nodeid) for r in grader.results.values())
    for r in grader.results.values():
        where = f"{r.platform}/{r.backend}" if r.platform else "-"
        note = f"  {r.message}" if r.outcome != "passed" and r.message else ""
        tr.write_line(f"  {r.nodeid:<{width}}  {where:<15} {r.outcome}{note}")
    report_dir: Path = config.getoption("--report-dir")
    extra = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "host": pyplatform.node(),
             "hypervisor": str(config.getoption("--hypervisor") or "reference")}
    write_json(grader, report_dir / "grade.json", extra)
    write_html(grader, report_dir / "grade.html", extra)
    tr.write_line(f"reports: {report_dir}/grade.json, grade.html, junit.xml")
