"""From run settings to a started machine: resolve platform, hypervisor, guest and folders."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .build import Outputs, build_dir, project_root
from .config import RunConfig
from .contract import hypervisor_cmdline
from .disks import check_image, compose_disk, prepare_disk
from .errors import LabError
from .guestlist import SWEB_MEMORY, cmdline_words
from .iso import Module
from .machine import Machine, MachineSpec, RunResult, make_machine
from .multiboot import check_guest_kernel, check_multiboot, is_linux, is_linux_kernel, qemu_kernel
from .platforms import Platform, choose, detect
from .sweb import resolve_sweb

START_WAIT = 10  # seconds for an emulator to start and connect its channels, scaled


@dataclass
class Prepared:
    spec: MachineSpec
    platform: Platform
    workdir: Path
    outputs: Outputs

    def machine(self, echo: Callable[[str, str], None] | None = None) -> Machine:
        if self.spec.platform != "bochs":
            kernel32 = qemu_kernel(self.spec.hypervisor, self.workdir,
                                   what="guest kernel" if self.spec.direct else "hypervisor")
        elif self.spec.direct and not self.spec.linux:
            # Bochs has no -kernel: GRUB boots mbload, and mbload loads the guest (module 0)
            # as QEMU's loader does, with no VBE or framebuffer information (GRUB 2's would
            # put SWEB on a VESA console) and no refusal of the video bit (flags bit 2).
            mbload = self.outputs.mbload
            if self.spec.hypervisor != mbload:  # not done yet (machine() may come twice)
                if not mbload.is_file():
                    raise LabError(f"mbload is not built ({mbload}): run `lab build`")
                guest, args = self.spec.hypervisor, self.spec.cmdline or ""
                self.spec.hypervisor, self.spec.cmdline = mbload, ""
                # the guest's own modules follow, as a hypervisor gets them (CONTRACT.md 2)
                self.spec.modules = [Module(guest, f"guest {args}".strip()),
                                     *(Module(m.path, f"guest-module {m.string}")
                                       for m in self.spec.modules)]
            kernel32 = self.spec.hypervisor
        else:
            kernel32 = self.spec.hypervisor
        return make_machine(self.spec, self.workdir, kernel32, self.outputs.iso_cache, echo)

    def start_wait(self, limit: float | None = None) -> float:
        """Seconds an emulator has to start and connect its channels (START_WAIT, scaled by
        the platform), or `limit` if shorter."""
        wait = self.spec.scaled(START_WAIT)
        return min(wait, limit) if limit is not None else wait

    @contextmanager
    def boot(self, echo: Callable[[str, str], None] | None = None,
             limit: float | None = None) -> Iterator[Machine]:
        """A started machine that is reaped when the block ends, however it ends."""
        with self.machine(echo) as m:
            m.start(timeout=self.start_wait(limit))
            yield m


def test_guests(outputs: Outputs, root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "images" / "tests").glob("*.c"))


def new_workdir(outputs: Outputs, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = outputs.runs / f"{stamp}-{label}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    return path


def prepare(cfg: RunConfig, outputs: Outputs | None = None,
            platforms: list[Platform] | None = None, workdir: Path | None = None,
            label: str = "run", progress: Callable[[str], None] | None = None) -> Prepared:
    """Check every input and choose the platform; raises LabError with one line on bad input."""
    cfg.validate()
    for path in cfg.guest_modules:
        check_module(path)
    if len(cfg.guests) == 1:  # one guest is a plain run: the console byte for byte, no tags
        cfg = _one_guest(cfg)
    root = project_root()
    outputs = outputs or Outputs(build_dir(root))
    platforms = platforms if platforms is not None else detect()
    if cfg.sweb is not None:
        sweb = resolve_sweb(cfg.sweb, outputs.build, progress)
        cfg.guest_kernel, cfg.guest_disk = sweb.kernel, sweb.disk
        cfg.guest_memory = cfg.guest_memory or SWEB_MEMORY
    if cfg.direct:
        platform, backend = _direct_platform(platforms, cfg.platform)
    elif cfg.hypervisor is not None:
        hypervisor = cfg.hypervisor.resolve()
        check_multiboot(hypervisor, "hypervisor", need_mmap=True)
    else:
        hypervisor = outputs.hypervisor
        if not hypervisor.is_file():
            raise LabError(f"the reference hypervisor is not built ({hypervisor}): run `lab build`")
    if not cfg.direct:
        platform, backend = choose(platforms, None if cfg.platform == "auto" else cfg.platform,
                                   cfg.backend)
    if cfg.guests:
        return _prepare_guests(cfg, outputs, platform, backend, hypervisor, label, workdir,
                               progress)
    guest = None
    if cfg.guest:
        guest = outputs.test_guest(cfg.guest)
        if not guest.is_file():
            known = ", ".join(test_guests(outputs, root)) or "none"
            raise LabError(f"unknown or unbuilt test guest '{cfg.guest}' (known: {known}); "
                           "run `lab build` first")
    elif cfg.guest_kernel:
        check_guest_kernel(cfg.guest_kernel)
        if cfg.direct and is_linux_kernel(cfg.guest_kernel):
            if platform.name == "bochs" and not is_linux(cfg.guest_kernel):
                raise LabError(f"guest kernel {cfg.guest_kernel} is a PVH vmlinux: booted "
                               "directly, Bochs boots Linux by GRUB's Linux loader, which "
                               "takes a bzImage")
            if len(cfg.guest_modules) > 1:
                raise LabError(f"guest kernel {cfg.guest_kernel} is a Linux kernel: booted "
                               "directly it takes one --guest-module, its initrd, not "
                               f"{len(cfg.guest_modules)}")
        guest = cfg.guest_kernel.resolve()
    if cfg.guest_disk is not None:
        check_image(cfg.guest_disk)
    label = cfg.guest or ("sweb" if cfg.sweb and label == "run" else label)
    label = f"{platform.name}-{'direct' if cfg.direct else backend}-{label}"
    workdir = workdir or new_workdir(outputs, label)
    disk = (prepare_disk(cfg.guest_disk, workdir, platform.name, cfg.persistent_disk)
            if cfg.guest_disk is not None else None)
    if cfg.direct:
        spec = MachineSpec(platform=platform.name, backend=backend, hypervisor=guest,
                           # the machine's RAM is the guest's: the same memory as under a
                           # hypervisor that gives the guest guest_memory MiB
                           cmdline=cfg.guest_args, memory_mib=cfg.guest_memory or cfg.memory,
                           modules=[Module(p.resolve(), p.name) for p in cfg.guest_modules],
                           cpu=cfg.cpu, ips=cfg.ips,
                           timeout_scale=cfg.timeout_scale, disk=disk, direct=True,
                           linux=guest is not None and is_linux(guest))
        return Prepared(spec, platform, workdir, outputs)
    modules = [Module(guest, f"guest {cfg.guest_args}".strip())] if guest else []
    modules += [Module(p.resolve(), f"guest-module {p.name}") for p in cfg.guest_modules]
    extra = {}
    if cfg.guest_memory:
        extra["guest_mem"] = str(cfg.guest_memory)
    words = [hypervisor_cmdline(backend, extra), disk.cmdline_word if disk else "", cfg.append]
    spec = MachineSpec(platform=platform.name, backend=backend, hypervisor=hypervisor,
                       cmdline=" ".join(w for w in words if w), modules=modules,
                       memory_mib=cfg.memory, cpu=cfg.cpu, timeout_scale=cfg.timeout_scale,
                       disk=disk, ips=cfg.ips)
    return Prepared(spec, platform, workdir, outputs)


def check_module(path: Path) -> None:
    """A guest module is any readable file: its content is the guest's business."""
    if not path.is_file():
        raise LabError(f"guest module {path} does not exist or is not a file")
    try:
        path.open("rb").close()
    except OSError as e:
        raise LabError(f"cannot read guest module {path}: {e.strerror}") from None


def _one_guest(cfg: RunConfig) -> RunConfig:
    g = cfg.guests[0]
    return replace(cfg, guests=[], guest=g.guest, guest_kernel=g.kernel, sweb=g.sweb,
                   guest_args=g.args, guest_memory=g.mem, guest_disk=g.disk,
                   persistent_disk=g.persistent)


def _prepare_guests(cfg: RunConfig, outputs: Outputs, platform: Platform, backend: str,
                    hypervisor: Path, label: str, workdir: Path | None,
                    progress: Callable[[str], None] | None) -> Prepared:
    """Several guests: a `guest` module each, their words, one disk of their regions."""
    root = project_root()
    kernels, disks = [], []
    for i, g in enumerate(cfg.guests):
        kernel, disk = g.kernel, g.disk
        if g.sweb is not None:
            sweb = resolve_sweb(g.sweb, outputs.build, progress)
            kernel, disk = sweb.kernel, sweb.disk
        elif g.guest is not None:
            kernel = outputs.test_guest(g.guest)
            if not kernel.is_file():
                known = ", ".join(test_guests(outputs, root)) or "none"
                raise LabError(f"guest {i}: unknown or unbuilt test guest '{g.guest}' (known: "
                               f"{known}); run `lab build` first")
        check_guest_kernel(kernel, f"guest {i}'s kernel")
        if disk is not None:
            check_image(disk)
        kernels.append(kernel.resolve())
        disks.append((disk, g.persistent))
    label = f"{platform.name}-{backend}-{len(kernels)}guests" if label == "run" else label
    workdir = workdir or new_workdir(outputs, label)
    disk, regions = compose_disk(disks, workdir)
    modules = [Module(k, f"guest {g.args}".strip()) for k, g in zip(kernels, cfg.guests)]
    words = cmdline_words([g.memory for g in cfg.guests], regions)
    cmdline = " ".join(w for w in [hypervisor_cmdline(backend, words), cfg.append] if w)
    spec = MachineSpec(platform=platform.name, backend=backend, hypervisor=hypervisor,
                       cmdline=cmdline, modules=modules, memory_mib=cfg.memory, cpu=cfg.cpu,
                       timeout_scale=cfg.timeout_scale, disk=disk, ips=cfg.ips,
                       guests=len(modules))
    return Prepared(spec, platform, workdir, outputs)


def _direct_platform(platforms: list[Platform], name: str) -> tuple[Platform, str]:
    """A direct boot needs no VMX or SVM: any installed platform will do (QEMU TCG first)."""
    order = [name] if name != "auto" else ["qemu-tcg", "bochs"]
    by_name = {p.name: p for p in platforms}
    for n in order:
        p = by_name.get(n)
        if p is not None and p.usable:
            return p, next(b for b in ("svm", "vmx") if p.can(b))
    raise LabError(f"no platform here can boot a guest directly ({', '.join(order)})")


def run(cfg: RunConfig, echo: Callable[[str, str], None] | None = None,
        **kwargs) -> RunResult:
    """Boot, wait for the end, collect, reap."""
    from .machine import Watch

    prep = prepare(cfg, **kwargs)
    with prep.boot(echo, limit=cfg.timeout) as m:
        return m.wait_end(cfg.timeout, [Watch.parse(w) for w in cfg.expect],
                          [Watch.parse(w) for w in cfg.fail], wall=True)
