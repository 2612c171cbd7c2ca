"""The grader's fixtures, shared by the scenarios and the lab's own tests: building, the
host's platforms, SWEB, and `boot`, which starts machines for a scenario and reaps them,
keeping a failed one's files as its bundle. A pytest plugin (lab.pytest_plugin loads it), so
scenarios import nothing from a conftest."""
from __future__ import annotations

import hashlib
import shlex
import shutil
from pathlib import Path

import pytest

from .build import Outputs, build, project_root
from .config import RunConfig
from .errors import BuildError, InfraError, LabError
from .grading import PREREQUISITE_FAILED, not_gradable
from .machine import Machine, reap_all
from .multiboot import check_multiboot
from .platforms import Platform, detect
from .prerequisite import Claim, boot_problem, claim
from .runner import prepare


@pytest.fixture(scope="session")
def lab_outputs() -> Outputs:
    """Build once per session (build() locks the build folder: xdist workers share it)."""
    try:
        return build(project_root(), quiet=True)
    except BuildError as e:
        raise BuildError(f"the build broke: {e}") from None


@pytest.fixture(scope="session")
def sweb(request, lab_outputs):
    """The SWEB given with --sweb, built first when it is a source tree."""
    from .sweb import resolve_sweb

    path = request.config.getoption("--sweb")
    if path is None:
        pytest.skip("no SWEB given: pass --sweb PATH (a SWEB source tree, or a build folder "
                    "with kernel.x and SWEB.qcow2), or sweb: in lab-team.yaml; "
                    "./run.sh test uses ../shared/sweb")
    try:
        return resolve_sweb(path, lab_outputs.build)
    except LabError as e:
        pytest.fail(f"--sweb {path}: {e}", pytrace=False)


@pytest.fixture(scope="session")
def linux_guest(lab_outputs):
    """Debian's kernel and a busybox initramfs (lab.linux), built once; skipped, with why,
    where the packages cannot be had (no Debian mirror here)."""
    from .linux import build_linux_guest

    try:
        return build_linux_guest(lab_outputs.build)
    except InfraError as e:
        pytest.skip(str(e))
    except LabError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def kvm_unit_tests(request, lab_outputs) -> Path:
    """The built x86 tests of --kvm-unit-tests (lab.kut)."""
    from .kut import build_kvm_unit_tests

    path = request.config.getoption("--kvm-unit-tests")
    if path is None:
        pytest.skip("no kvm-unit-tests given: pass --kvm-unit-tests PATH (a source tree or "
                    "its tarball); ./run.sh test uses ../shared/kvm-unit-tests")
    try:
        return build_kvm_unit_tests(path, lab_outputs.build)
    except LabError as e:
        pytest.fail(f"--kvm-unit-tests {path}: {e}", pytrace=False)


@pytest.fixture(scope="session")
def host_platforms() -> list[Platform]:
    return detect()


def require(platforms: list[Platform], platform: str, backend: str) -> Platform:
    """Skip when this host cannot run the backend on the platform: as 'skipped' when it lacks
    software it could install, as 'not gradable here' when the platform is out of reach."""
    p = {p.name: p for p in platforms}[platform]
    support = p.backends[backend]
    if not support.ok:
        why = f"{platform} cannot run {backend} here: {support.why}"
        if support.installable:  # this machine lacks software: the grade is incomplete
            pytest.skip(why)
        not_gradable(why)
    return p


def reproduce_command(cfg: RunConfig) -> str:
    words = ["lab", "run", "--platform", cfg.platform, "--backend", cfg.backend]
    for flag, value in (("--hypervisor", cfg.hypervisor), ("--guest", cfg.guest),
                        ("--guest-kernel", cfg.guest_kernel), ("--guest-args", cfg.guest_args),
                        ("--cpu", cfg.cpu), ("--append", cfg.append)):
        if value:
            words += [flag, str(value)]
    return shlex.join(words)


@pytest.fixture(scope="session")
def prerequisite_folder(pytestconfig, tmp_path_factory) -> Path:
    """Where the boot prerequisite's answers live: one folder for this session's xdist
    workers (their base folders share a parent), new each session. Asked of the config, not
    of PYTEST_XDIST_WORKER: a pytest started inside a worker inherits that variable (seen: a
    nested grader read answers other sessions had left in the shared parent)."""
    base = tmp_path_factory.getbasetemp()
    worker = hasattr(pytestconfig, "workerinput")
    return (base.parent if worker else base) / "prerequisite"


@pytest.fixture
def boot(request, lab_outputs, host_platforms, record_property, prerequisite_folder):
    """Start a machine: boot(platform, backend, guest=..., cpu=..., append=...)."""
    machines: list[tuple[Machine, RunConfig]] = []
    claims: list[Claim] = []  # the prerequisite this scenario answers (lab.prerequisite)
    base_images: dict[Path, str] = {}  # no run may write into a base image: checked after
    opts = request.config

    def start(platform: str, backend: str, **settings) -> Machine:
        require(host_platforms, platform, backend)
        cfg = RunConfig(platform=platform, backend=backend,
                        hypervisor=opts.getoption("--hypervisor"),
                        timeout_scale=opts.getoption("--timeout-scale"), **settings)
        record_property("platform", platform)
        record_property("backend", backend)
        record_property("reproduce", reproduce_command(cfg))
        if cfg.hypervisor is not None:  # the team's own file: its fault when it is unusable
            try:
                check_multiboot(cfg.hypervisor, "hypervisor", need_mmap=True)
            except LabError as e:
                pytest.fail(str(e), pytrace=False)
        if cfg.direct or cfg.cpu:
            pass  # another machine than the prerequisite's
        elif request.node.get_closest_marker("prerequisite"):
            if (c := claim(cfg, prerequisite_folder)) is not None:
                claims.append(c)  # this run's outcome is the answer
        else:
            problem = boot_problem(cfg, prerequisite_folder, outputs=lab_outputs,
                                   platforms=host_platforms)
            if problem:
                pytest.fail(f"{PREREQUISITE_FAILED}: the hypervisor does not boot on {platform}/"
                            f"{backend} (test_boots_and_logs_on_every_platform): {problem}",
                            pytrace=False)
        try:
            prep = prepare(cfg, outputs=lab_outputs, platforms=host_platforms,
                           label=request.node.name[:40].replace("/", "_"))
        except LabError as e:  # the lab's side of the setup (a disk overlay, a guest image)
            raise InfraError(f"setting up the machine: {e}") from None
        if cfg.guest_disk is not None and not cfg.persistent_disk:
            base_images.setdefault(cfg.guest_disk, _digest(cfg.guest_disk))
        m = prep.machine()
        machines.append((m, cfg))  # before it starts: a failed start keeps its bundle too
        m.start(timeout=prep.start_wait())
        return m

    try:
        yield start
    finally:
        _answer(request, claims)
    failed = any(getattr(request.node, f"rep_{w}", None) is not None and
                 getattr(request.node, f"rep_{w}").failed for w in ("setup", "call"))
    for m, _cfg in machines:
        try:
            if failed and opts.getoption("--keep-alive") and m.running:
                # The prompt stays short: readline scrolls a prompt wider than the terminal.
                print(f"\nmachine kept alive for inspection: {m.workdir}", flush=True)
                input("press Enter to end it ")
            if failed:
                _keep_bundle(request, m, record_property)
        finally:
            m.close()
            if not failed and not opts.getoption("--keep-runs"):
                shutil.rmtree(m.workdir, ignore_errors=True)
    changed = [str(p) for p, d in base_images.items() if _digest(p) != d]
    if changed:
        pytest.fail(f"a run wrote into the base image(s) {', '.join(changed)}")


def _answer(request, claims: list[Claim]) -> None:
    """The boot scenario's outcome, as the answer to its prerequisite: passed, or why not.
    Without a call phase (an error before it) there is no answer: another asks again."""
    call = getattr(request.node, "rep_call", None)
    for c in claims:
        if call is None:
            c.release()
            continue
        grade = dict(call.user_properties).get("lab_grade")  # the grader's own words
        if not grade:
            c.release()
        else:
            c.answer(None if grade["outcome"] == "passed"
                     else f"{grade['outcome']}: {grade['message']}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _keep_bundle(request, m: Machine, record_property) -> None:
    """A failed scenario keeps everything of its run in the report's bundle folder."""
    try:
        m.wait_end(0.01)  # not waiting for anything: collect screen and registers now
    except LabError as e:
        (m.workdir / "collect-error.txt").write_text(f"{e}\n")
    dest = Path(request.config.getoption("--report-dir")) / "bundles" / _safe(request.node.nodeid)
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    m.close()
    shutil.copytree(m.workdir, dest, ignore=shutil.ignore_patterns("*.sock", "*.iso"))
    props = dict(request.node.user_properties)
    if "reproduce" in props:
        (dest / "reproduce.txt").write_text(props["reproduce"] + "\n")
    record_property("bundle", str(dest.resolve()))


def _safe(nodeid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in nodeid)[-120:]


def pytest_sessionfinish(session, exitstatus) -> None:
    reap_all()  # nothing a scenario started outlives the suite, whatever happened
