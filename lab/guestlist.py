"""Several guests in one run (CONTRACT.md 10): a list of guests, each with its kernel, command
line, memory and disk, from `--guest-spec` options or a profile's `guests:` list.

Each guest becomes a `guest` module, in order (guest 0 first); guest 0's memory and disk are
`guest_mem=` and `disk=`, guest K's `guest_mem.K=` and `disk.K=`. The lab puts each guest's
disk image in its own region of the machine's primary-master disk, one after another from
LBA 0, as it puts a single guest's image at LBA 0 (lab.disks.compose_disk). Every mistake is
one line, found before anything boots.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

SWEB_MEMORY = 8  # MiB of guest RAM for SWEB unless told: upstream SWEB's own QEMU setting
CONTRACT_GUEST_MEMORY = 32  # MiB: a guest with no guest_mem word (CONTRACT.md 2)
MAX_GUESTS = 10  # a guest's tag on the console is one ASCII digit
KEYS = ("kernel", "guest", "sweb", "args", "mem", "disk", "persistent")


@dataclass
class GuestSpec:
    """One guest of a list. Exactly one of kernel, guest (a test guest) and sweb."""

    kernel: Path | None = None  # any Multiboot guest kernel
    guest: str | None = None  # a test guest by name (images/tests/NAME.c)
    sweb: Path | None = None  # SWEB: its kernel and disk (a source tree or build folder)
    args: str = ""  # the guest's own command line
    mem: int | None = None  # MiB; None: SWEB's 8, else the contract's 32
    disk: Path | None = None  # a disk image (SWEB brings its own)
    persistent: bool = False  # write `disk` itself (after the run), not a copy

    @property
    def memory(self) -> int:
        if self.mem is not None:
            return self.mem
        return SWEB_MEMORY if self.sweb is not None else CONTRACT_GUEST_MEMORY

    def describe(self) -> str:
        return str(self.kernel or self.guest or self.sweb)


def _path(value: object, key: str, base: Path, where: str) -> Path:
    if not isinstance(value, (str, Path)) or not str(value):
        raise ConfigError(f"{where}: '{key}' must be a path, got {value!r}")
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def from_mapping(data: object, base: Path, where: str) -> GuestSpec:
    """A guest from a profile's `guests:` entry or a parsed --guest-spec."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a guest is a mapping of {', '.join(KEYS)}, got {data!r}")
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(KEYS)})")
    g = GuestSpec()
    for key in ("kernel", "sweb", "disk"):
        if data.get(key) is not None:
            setattr(g, key, _path(data[key], key, base, where))
    if data.get("guest") is not None:
        if not isinstance(data["guest"], str) or not data["guest"]:
            raise ConfigError(f"{where}: 'guest' must be a test guest's name")
        g.guest = data["guest"]
    if data.get("args") is not None:
        if not isinstance(data["args"], str):
            raise ConfigError(f"{where}: 'args' must be text, got {data['args']!r}")
        g.args = data["args"]
    if data.get("mem") is not None:
        mem = data["mem"]
        if isinstance(mem, str) and mem.isdigit():
            mem = int(mem)
        if isinstance(mem, bool) or not isinstance(mem, int) or mem < 1:
            raise ConfigError(f"{where}: 'mem' must be a whole number of MiB, got {mem!r}")
        g.mem = mem
    if "persistent" in data:
        value = data["persistent"]
        if value in ("", "true", "yes", "1"):  # a bare flag in --guest-spec
            value = True
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: 'persistent' must be true or false, got {value!r}")
        g.persistent = value
    return g


def parse_spec(text: str, base: Path, where: str = "--guest-spec") -> GuestSpec:
    """`kernel=PATH,args=WORDS,mem=N,disk=PATH[,persistent]` (or guest=NAME, sweb=PATH).
    Commas separate the keys: a module string cannot hold one anyway (QEMU's -initrd)."""
    data: dict[str, str] = {}
    for part in text.split(","):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if key in data:
            raise ConfigError(f"{where} {text!r}: '{key}' given twice")
        if not sep and key != "persistent":
            raise ConfigError(f"{where} {text!r}: '{part}' is not KEY=VALUE "
                              f"(keys: {', '.join(KEYS)})")
        data[key] = value
    return from_mapping(data, base, f"{where} {text!r}")


def from_list(value: object, base: Path, where: str) -> list[GuestSpec]:
    """A profile's `guests:` list."""
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: 'guests' must be a list of guests (mappings of "
                          f"{', '.join(KEYS)})")
    out = []
    for i, item in enumerate(value):
        out.append(item if isinstance(item, GuestSpec)
                   else from_mapping(item, base, f"{where}: guest {i}"))
    return out


def validate(guests: list[GuestSpec], machine_mib: int) -> None:
    """One line for the first mistake: a guest without one kernel, a missing file, two
    guests writing one persistent disk, more guest memory than the machine has."""
    if len(guests) > MAX_GUESTS:
        raise ConfigError(f"{len(guests)} guests: at most {MAX_GUESTS} (a guest's console tag "
                          "is one digit)")
    writers: dict[Path, int] = {}
    for i, g in enumerate(guests):
        given = [k for k in ("kernel", "guest", "sweb") if getattr(g, k) is not None]
        if len(given) != 1:
            raise ConfigError(f"guest {i}: give one of kernel, guest or sweb"
                              + (f", not {' and '.join(given)}" if given else ""))
        if g.kernel is not None and not g.kernel.is_file():
            raise ConfigError(f"guest {i}: kernel {g.kernel} does not exist")
        if g.sweb is not None and not g.sweb.exists():
            raise ConfigError(f"guest {i}: sweb {g.sweb} does not exist")
        if g.sweb is not None and g.disk is not None:
            raise ConfigError(f"guest {i}: sweb brings its own disk: leave out disk")
        if g.disk is not None and not g.disk.is_file():
            raise ConfigError(f"guest {i}: disk {g.disk} does not exist")
        if g.persistent and g.disk is None:
            raise ConfigError(f"guest {i}: persistent needs a disk")
        if g.persistent:
            key = g.disk.resolve()
            if key in writers:
                raise ConfigError(f"guests {writers[key]} and {i} both write the persistent "
                                  f"disk {g.disk}: give each its own copy")
            writers[key] = i
    need = sum(g.memory for g in guests)
    if need >= machine_mib:
        parts = "+".join(str(g.memory) for g in guests)
        raise ConfigError(f"the guests need {need} MiB of RAM ({parts}), and the machine has "
                          f"{machine_mib} MiB, some of it the hypervisor's: give the machine "
                          "more (--memory, at most 4096) or the guests less (mem=)")


def cmdline_words(mems: list[int], regions: list[tuple[int, int] | None]) -> dict[str, str]:
    """The hypervisor's words for the guests' memory and disk regions (CONTRACT.md 10)."""
    words = {}
    for k, (mem, region) in enumerate(zip(mems, regions)):
        suffix = "" if k == 0 else f".{k}"
        words[f"guest_mem{suffix}"] = str(mem)
        if region is not None:
            words[f"disk{suffix}"] = f"{region[0]}:{region[1]}"
    return words
