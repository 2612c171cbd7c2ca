"""What the feature scenarios (CONTRACT.md 10) share: SWEB guests, test guests, targets."""
from __future__ import annotations

import re

from guests import GUEST_TARGETS  # noqa: F401 (the test-guest scenarios import it from here)
from lab.guestlist import GuestSpec
from lab.several import boot_guests
from lab.swebos import SwebShell

# The SWEB scenarios of the features run where a backend is graded (qemu-kvm or qemu-tcg for
# svm, bochs for vmx: lab/targets.py) and not on bochs/svm, which is never the graded svm
# platform where QEMU runs, and where several SWEBs at once cost minutes each in the lab's
# own suite. The test-guest scenarios run on every target (they are quick, and bochs/svm has
# quirks of its own: the interrupted INT n of softint.c).
SWEB_TARGETS = [t for t in GUEST_TARGETS if t != ("bochs", "svm")]

BOOT = 60  # seconds per step, scaled by the platform
PROGRAM = 120
MULT_EXIT = "exit_code: 1237619379"  # userspace/tests/mult.c, as in test_m4_sweb.py
END = re.compile(r"@lab guest-end id=(\d) code=(\d+) reason=(\S+)")
SWEB_MIB = 8
# A SWEB's RAM in 4 KiB pages: its 8 MiB less the VGA window's 32 (0xA0000-0xBFFFF is not
# RAM, CONTRACT.md 10)
PAGES_PER_SWEB = SWEB_MIB * 256 - 32


def swebs(sweb, count: int) -> list[GuestSpec]:
    return [GuestSpec(kernel=sweb.kernel, disk=sweb.disk, mem=SWEB_MIB) for _ in range(count)]


def boot_swebs(boot, sweb, target, count: int, append: str = "", extra=()):
    """`count` SWEBs (then `extra` guests) under one hypervisor, each at its prompt on its
    own console (port 0xE9); their shells."""
    m = boot_guests(boot, target, swebs(sweb, count) + list(extra), append=append)
    shells = [SwebShell(m, BOOT, guest=k) for k in range(count)]
    for shell in shells:
        shell.wait_prompt()
    return m, shells


def guest_end(m, k: int) -> tuple[int, str] | None:
    """Guest K's `@lab guest-end` code and reason, if it ended."""
    for gid, code, reason in END.findall(m.log_text()):
        if int(gid) == k:
            return int(code), reason
    return None


# images/tests/cpushare.c: the rounds of work a busy guest got done in one window
WORK = re.compile(r"cpushare: work=(\d+)\r?\n")  # the whole number: up to its line end
WINDOW = 2000  # ms of the guest's TSC time per measure


def counted(m, k: int, pattern: re.Pattern, count: int = 1) -> list[int]:
    """The next `count` numbers guest k prints with `pattern` (each wait takes one line)."""
    return [int(pattern.search(m.wait_for(pattern.pattern, 3 * BOOT,
                                          channel=f"guest{k}")).group(1))
            for _ in range(count)]
