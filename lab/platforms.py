"""Which platforms this host can boot a hypervisor on, for which backend, and why not.

Detection reads the CPU vendor and flags, KVM's nesting parameter and the emulators present:
/dev/kvm alone proves nothing (DESIGN.md: here it is kvm_pvm, which offers no VMX or SVM).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PlatformError

BACKENDS = ("vmx", "svm")
PLATFORMS = ("qemu-kvm", "qemu-tcg", "bochs")
QEMU = "qemu-system-x86_64"
BOCHS = "bochs-bin"
BOCHS_BIOS = "usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGABIOS = "usr/share/vgabios/vgabios.bin"
# The emulated CPU each platform uses for a backend.
CPU_MODELS = {
    ("qemu-kvm", "vmx"): "host",
    ("qemu-kvm", "svm"): "host",
    ("qemu-tcg", "svm"): "max",
    ("bochs", "vmx"): "corei7_skylake_x",
    ("bochs", "svm"): "ryzen",
}


@dataclass(frozen=True)
class HostFacts:
    vendor: str  # "intel", "amd" or "other"
    flags: frozenset[str]
    kvm_device: bool
    kvm_writable: bool
    kvm_modules: frozenset[str]
    nested: dict[str, str]  # module -> value of its `nested` parameter
    qemu: str | None  # path of qemu-system-x86_64, or None
    bochs: str | None
    bochs_bios: bool
    bochs_cpus: frozenset[str]


@dataclass(frozen=True)
class Support:
    ok: bool
    why: str  # for ok: what it runs on; otherwise why not
    # not ok only for want of software this machine could install: the grade is incomplete,
    # not the platform out of reach (which is "not gradable here")
    installable: bool = False


@dataclass
class Platform:
    name: str
    accel: str
    backends: dict[str, Support] = field(default_factory=dict)

    def can(self, backend: str) -> bool:
        return self.backends[backend].ok

    @property
    def usable(self) -> bool:
        return any(s.ok for s in self.backends.values())


def read_host(root: Path = Path("/"), which: Callable[[str], str | None] = shutil.which,
              bochs_cpus: Callable[[str], frozenset[str]] | None = None) -> HostFacts:
    """Read the facts detection needs; `root` lets tests point at a fake /proc and /sys."""
    vendor, flags = "other", frozenset()
    try:
        cpuinfo = (root / "proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id":
            vendor = {"GenuineIntel": "intel", "AuthenticAMD": "amd"}.get(value.strip(), "other")
        elif key == "flags":
            flags = frozenset(value.split())
            break
    modules = root / "sys/module"
    kvm_modules = frozenset(p.name for p in modules.glob("kvm*") if modules.is_dir())
    nested = {}
    for mod in ("kvm_intel", "kvm_amd"):
        param = modules / mod / "parameters/nested"
        if param.is_file():
            nested[mod] = param.read_text().strip()
    bochs = which(BOCHS)
    bochs_bios = (root / BOCHS_BIOS).is_file() and (root / BOCHS_VGABIOS).is_file()
    cpus = (bochs_cpus or bochs_cpu_models)(bochs) if bochs else frozenset()
    kvm = root / "dev/kvm"
    return HostFacts(vendor, flags, kvm.exists(), os.access(kvm, os.R_OK | os.W_OK),
                     kvm_modules, nested,
                     which(QEMU), bochs, bochs_bios, cpus)


@functools.lru_cache(maxsize=4)
def bochs_cpu_models(binary: str) -> frozenset[str]:
    """The CPU models a Bochs binary was built with (`bochs-bin --help cpu`)."""
    try:
        done = subprocess.run([binary, "--help", "cpu"], capture_output=True, text=True,
                              timeout=20, stdin=subprocess.DEVNULL)
        out = done.stdout + done.stderr  # Bochs prints the list to stderr
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(w.strip() for w in out.splitlines() if w.strip().replace("_", "").isalnum())


def _kvm(h: HostFacts) -> Platform:
    p = Platform("qemu-kvm", "kvm")
    own = {"intel": "vmx", "amd": "svm"}.get(h.vendor)
    if h.qemu is None:
        base = f"{QEMU} is not installed (apt-get install qemu-system-x86)"
    elif not h.kvm_device:
        base = "no /dev/kvm on this host"
    elif not h.kvm_writable:
        base = "/dev/kvm is not readable and writable by this user"
    elif own is None:
        base = "the host CPU is neither Intel nor AMD"
    elif own not in h.flags:
        extra = " (/dev/kvm is kvm_pvm, which has no nesting)" if "kvm_pvm" in h.kvm_modules else ""
        base = f"the host CPU exposes no {own} flag, so KVM has no nesting here{extra}"
    else:
        mod = f"kvm_{h.vendor}"
        value = h.nested.get(mod)
        if value is None:
            base = f"module {mod} is not loaded, so KVM cannot nest {own}"
        elif value not in ("Y", "1"):
            base = f"{mod} nested={value}: nesting is off (modprobe {mod} nested=1)"
        else:
            base = ""
    for backend in BACKENDS:
        if base:
            p.backends[backend] = Support(False, base)
        elif backend != own:
            p.backends[backend] = Support(False, f"KVM on an {h.vendor} host cannot nest {backend}")
        else:
            p.backends[backend] = Support(True, f"nested KVM, -cpu host ({h.vendor})")
    return p


def _tcg(h: HostFacts) -> Platform:
    p = Platform("qemu-tcg", "tcg")
    if h.qemu is None:
        missing = Support(False, f"{QEMU} is not installed (apt-get install qemu-system-x86)",
                          installable=True)
        p.backends = {b: missing for b in BACKENDS}
        return p
    p.backends["vmx"] = Support(False, "QEMU TCG does not emulate VMX")
    p.backends["svm"] = Support(True, "emulated SVM with NPT, -cpu max")
    return p


def _bochs(h: HostFacts) -> Platform:
    p = Platform("bochs", "bochs")
    for backend in BACKENDS:
        model = CPU_MODELS[("bochs", backend)]
        if h.bochs is None:
            p.backends[backend] = Support(
                False, f"{BOCHS} is not installed (apt-get install bochs)", installable=True)
        elif not h.bochs_bios:
            p.backends[backend] = Support(
                False, "the Bochs BIOS or VGA BIOS is missing (apt-get install bochsbios vgabios)",
                installable=True)
        elif model not in h.bochs_cpus:
            p.backends[backend] = Support(
                False, f"this Bochs has no CPU model {model} (install Bochs 2.7 or newer)",
                installable=True)
        else:
            p.backends[backend] = Support(True, f"emulated {backend.upper()}, cpu model {model}")
    return p


def detect(h: HostFacts | None = None) -> list[Platform]:
    h = h or read_host()
    return [_kvm(h), _tcg(h), _bochs(h)]


# Preference when the user names no platform: the fastest that can run the backend.
def choose(platforms: list[Platform], name: str | None, backend: str) -> tuple[Platform, str]:
    """Return the platform to use and the backend it runs (resolving `auto`)."""
    if backend not in ("auto", *BACKENDS):
        raise PlatformError(f"unknown backend '{backend}': use one of auto, vmx, svm")
    by_name = {p.name: p for p in platforms}
    if name is not None and name not in by_name:
        raise PlatformError(f"unknown platform '{name}': use one of {', '.join(PLATFORMS)}")
    candidates = [by_name[name]] if name else platforms
    wanted = BACKENDS if backend == "auto" else (backend,)
    for p in candidates:
        for b in wanted:
            if p.can(b):
                return p, b
    if name:
        p = by_name[name]
        why = "; ".join(f"{b}: {p.backends[b].why}" for b in wanted)
        raise PlatformError(f"platform {name} cannot run {backend} here ({why}); "
                            "see `lab platforms`")
    raise PlatformError(f"no platform on this host can run {backend}; see `lab platforms`")
