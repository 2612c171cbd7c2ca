"""Run settings: defaults, a YAML machine profile, then command-line options, in that order."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from . import guestlist
from .errors import ConfigError
from .guestlist import GuestSpec
from .platforms import BACKENDS, PLATFORMS


@dataclass
class RunConfig:
    platform: str = "auto"  # auto, qemu-kvm, qemu-tcg or bochs
    backend: str = "auto"  # auto, vmx or svm
    hypervisor: Path | None = None  # None: the reference hypervisor from `lab build`
    guest: str | None = None  # a test guest's name (images/tests/NAME.c)
    guest_kernel: Path | None = None  # any Multiboot guest kernel
    guest_args: str = ""
    # files handed on to the guest as Multiboot modules (`guest-module`, CONTRACT.md 2)
    guest_modules: list[Path] = field(default_factory=list)
    guest_disk: Path | None = None  # a raw disk image for the guest (never written by a run)
    sweb: Path | None = None  # SWEB as the guest: a source tree (built) or a build folder
    persistent_disk: bool = False  # write guest_disk itself (a scenario's own copy)
    direct: bool = False  # boot the guest kernel with no hypervisor: the baseline
    memory: int = 128  # MiB of the emulated machine
    guest_memory: int | None = None  # MiB of guest RAM (hypervisor's guest_mem=)
    cpu: str | None = None  # override the emulated CPU model
    append: str = ""  # extra hypervisor command-line words
    timeout: float = 300.0  # wall-clock seconds for the whole run (`lab run`), never scaled
    timeout_scale: float = 1.0  # multiplies the grader's step deadlines
    ips: int | None = None  # Bochs: instructions per emulated second (None: the lab's 50M)
    expect: list[str] = field(default_factory=list)  # texts that end the run as passed
    fail: list[str] = field(default_factory=list)  # texts that end it as failed
    # several guests (CONTRACT.md 10), instead of the one-guest keys above (lab.guestlist)
    guests: list[GuestSpec] = field(default_factory=list)

    def validate(self) -> RunConfig:
        if self.platform not in ("auto", *PLATFORMS):
            raise ConfigError(f"unknown platform '{self.platform}': use auto or one of "
                              f"{', '.join(PLATFORMS)}")
        if self.backend not in ("auto", *BACKENDS):
            raise ConfigError(f"unknown backend '{self.backend}': use auto, vmx or svm")
        if self.guest and self.guest_kernel:
            raise ConfigError("give either guest (a test guest) or guest_kernel, not both")
        if self.sweb and (self.guest or self.guest_kernel or self.guest_disk):
            raise ConfigError("sweb gives the guest kernel and disk: leave out guest, "
                              "guest_kernel and guest_disk")
        if not 16 <= self.memory <= 4096:
            raise ConfigError(f"memory {self.memory} MiB is out of range (16 to 4096)")
        if self.guest_memory is not None and not 1 <= self.guest_memory < self.memory:
            raise ConfigError(f"guest_memory {self.guest_memory} MiB must be at least 1 and "
                              f"less than the machine's {self.memory} MiB")
        if self.direct and not (self.guest or self.guest_kernel or self.sweb):
            raise ConfigError("direct boots a guest kernel: give guest, guest_kernel or sweb")
        if self.persistent_disk and not self.guest_disk:
            raise ConfigError("persistent_disk needs a guest_disk")
        if not (self.timeout > 0 and self.timeout_scale > 0):  # also refuses NaN
            raise ConfigError("timeout and timeout_scale must be positive")
        if self.guests:
            one = [k for k in ONE_GUEST_KEYS if getattr(self, k)]
            if one:
                raise ConfigError(f"give a list of guests or the one-guest {one[0]}, not both "
                                  "(a guest's kernel, args, mem and disk go in its entry)")
            if self.direct:
                raise ConfigError("direct boots one guest kernel, not a list of guests")
            guestlist.validate(self.guests, self.memory)
        return self


_TYPES = {f.name: f.type for f in fields(RunConfig)}
ONE_GUEST_KEYS = ("guest", "guest_kernel", "guest_args", "guest_modules", "guest_disk", "sweb",
                  "guest_memory", "persistent_disk")
_PATHS = {"hypervisor", "guest_kernel", "guest_disk", "sweb"}
_FLAGS = {"persistent_disk", "direct"}
_TEXTS = {"expect", "fail"}
_NUMBERS = {"memory": int, "guest_memory": int, "timeout": float, "timeout_scale": float,
            "ips": int}


def _coerce(key: str, value, base: Path) -> object:
    if value is None:
        return None
    if key == "guests":
        return guestlist.from_list(value, base, "guests")
    if key == "guest_modules":
        if isinstance(value, str):
            value = [value]
        if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            raise ConfigError(f"'{key}' must be a path or a list of paths, got {value!r}")
        return [_coerce("guest_kernel", v, base) for v in value]
    if key in _PATHS:
        if not isinstance(value, str):
            raise ConfigError(f"'{key}' must be a path, got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p)
    if key in _TEXTS:
        if isinstance(value, str):
            value = [value]
        if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            raise ConfigError(f"'{key}' must be a text or a list of texts, got {value!r}")
        return list(value)
    if key in _FLAGS:
        if not isinstance(value, bool):
            raise ConfigError(f"'{key}' must be true or false, got {value!r}")
        return value
    if key in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{key}' must be a number, got {value!r}")
        if _NUMBERS[key] is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"'{key}' must be a whole number, got {value!r}")
        return _NUMBERS[key](value)
    if not isinstance(value, str):
        raise ConfigError(f"'{key}' must be text, got {value!r}")
    return value


def apply(cfg: RunConfig, values: dict, base: Path, origin: str) -> RunConfig:
    for key, value in values.items():
        if key not in _TYPES:
            raise ConfigError(f"{origin}: unknown key '{key}' (known: {', '.join(_TYPES)})")
        try:
            setattr(cfg, key, _coerce(key, value, base))
        except ConfigError as e:
            raise ConfigError(f"{origin}: {e}") from None
    return cfg


def load_profile(path: Path, cfg: RunConfig | None = None) -> RunConfig:
    """Read a YAML profile; relative paths in it are relative to the profile's folder."""
    cfg = cfg or RunConfig()
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"profile {path} does not exist") from None
    except OSError as e:
        raise ConfigError(f"cannot read profile {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"profile {path} is not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ConfigError(f"profile {path}: {problem}{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"profile {path}: expected a mapping of keys to values at the top")
    return apply(cfg, data, path.parent.resolve(), f"profile {path}")
