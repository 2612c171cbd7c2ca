"""From run settings to a started machine: resolve platform, hypervisor, guest and folders."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .build import Outputs, build_dir, project_root
from .config import RunConfig
from .contract import hypervisor_cmdline
from .errors import LabError
from .iso import Module
from .machine import Machine, MachineSpec, RunResult, make_machine
from .multiboot import check_multiboot, qemu_kernel
from .platforms import Platform, choose, detect


@dataclass
class Prepared:
    spec: MachineSpec
    platform: Platform
    workdir: Path
    outputs: Outputs

    def machine(self, echo: Callable[[str, str], None] | None = None) -> Machine:
        kernel32 = (qemu_kernel(self.spec.hypervisor, self.workdir)
                    if self.spec.platform != "bochs" else self.spec.hypervisor)
        return make_machine(self.spec, self.workdir, kernel32, self.outputs.iso_cache, echo)


def test_guests(outputs: Outputs, root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "images" / "tests").glob("*.c"))


def new_workdir(outputs: Outputs, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = outputs.build / "runs" / f"{stamp}-{label}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    return path


def prepare(cfg: RunConfig, outputs: Outputs | None = None,
            platforms: list[Platform] | None = None, workdir: Path | None = None,
            label: str = "run") -> Prepared:
    """Check every input and choose the platform; raises LabError with one line on bad input."""
    cfg.validate()
    root = project_root()
    outputs = outputs or Outputs(build_dir(root))
    if cfg.hypervisor is not None:
        hypervisor = cfg.hypervisor.resolve()
        check_multiboot(hypervisor, "hypervisor", need_mmap=True)
    else:
        hypervisor = outputs.hypervisor
        if not hypervisor.is_file():
            raise LabError(f"the reference hypervisor is not built ({hypervisor}): run `lab build`")
    platform, backend = choose(platforms if platforms is not None else detect(),
                               None if cfg.platform == "auto" else cfg.platform, cfg.backend)
    modules = []
    if cfg.guest:
        guest = outputs.test_guest(cfg.guest)
        if not guest.is_file():
            known = ", ".join(test_guests(outputs, root)) or "none"
            raise LabError(f"unknown or unbuilt test guest '{cfg.guest}' (known: {known}); "
                           "run `lab build` first")
        modules.append(Module(guest, f"guest {cfg.guest_args}".strip()))
    elif cfg.guest_kernel:
        check_multiboot(cfg.guest_kernel, "guest kernel")
        modules.append(Module(cfg.guest_kernel.resolve(), f"guest {cfg.guest_args}".strip()))
    extra = {}
    if cfg.guest_memory:
        extra["guest_mem"] = str(cfg.guest_memory)
    cmdline = " ".join(w for w in (hypervisor_cmdline(backend, extra), cfg.append) if w)
    spec = MachineSpec(platform=platform.name, backend=backend, hypervisor=hypervisor,
                       cmdline=cmdline, modules=modules, memory_mib=cfg.memory, cpu=cfg.cpu,
                       timeout_scale=cfg.timeout_scale)
    label = f"{platform.name}-{backend}-{cfg.guest or label}"
    return Prepared(spec, platform, workdir or new_workdir(outputs, label), outputs)


def run(cfg: RunConfig, echo: Callable[[str, str], None] | None = None,
        **kwargs) -> RunResult:
    """Boot, wait for the end, collect, reap."""
    prep = prepare(cfg, **kwargs)
    with prep.machine(echo) as m:
        m.start(timeout=prep.spec.scaled(10))
        return m.wait_end(cfg.timeout)
