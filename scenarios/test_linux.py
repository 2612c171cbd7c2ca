"""Linux (conformance, no points): Debian's own kernel and busybox, unmodified, booted by the
hypervisor as a Linux boot loader (CONTRACT.md 2: a bzImage, or on Bochs the same kernel's
vmlinux booted by PVH, as the `guest` module, its initrd as the one `guest-module`), with
`console=ttyS0`, on every target.

The kernel reaches its shell and runs what is typed on the serial console; /proc/cpuinfo
shows the CPU the hypervisor offers (its CPUID flag set, nesting and what it does not
emulate hidden); and the kernel's log shows no warning beyond those the README explains
(the lab's machine has no ACPI, SMBIOS or PCI firmware).
"""
import re

import pytest

from guests import GUEST_TARGETS
from lab.grading import scenario
from lab.linux import BOCHS_ARGS, READY
from lab.targets import target_id

MEMORY = 256  # MiB: the kernel unpacks itself at 16 MiB into 64 MiB
BOOT_DEADLINE = 120  # about 8 s under the reference on QEMU TCG, 20 s on Bochs
SHELL_DEADLINE = 30
PROMPT = r"/ # "
# On Bochs the kernel is booted by PVH, from the vmlinux the lab takes out of the bzImage
# (lab.vmlinux): as a bzImage it spends 40 s of a 55 s boot unpacking itself. The bzImage's
# own path runs on QEMU TCG; so do the crypto self-tests (lab.linux.BOCHS_ARGS).

# What the kernel says of any machine like the lab's, hypervisor or not (README, "Linux"):
# each a regex for one log line.
EXPLAINED = [
    r"DMI not present or invalid\.",                       # no SMBIOS tables
    r"ACPI BIOS Error \(bug\): A valid RSDP was not found",  # no ACPI tables
    r"smpboot: weird, boot CPU \(#0\) not listed by the BIOS",  # no MP table or MADT
    r"PCI: System does not support PCI",                   # no PCI host bridge
    r"mce: Unable to init MCE device \(rc: -5\)",          # no machine checks offered
    r"tsc: Fast TSC calibration failed",                   # PIT polling, one exit a poll
    r"AMD-Vi: AMD IOMMUv2 functionality not available on this system - This is not a bug\.",
]
# What the kernel says of the CPU model each Bochs target emulates (README, "Linux"): the
# same booted on that CPU with any loader.
EXPLAINED_CPU_MODEL = {
    "bochs-vmx": [  # corei7_skylake_x
        r"RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks",
        r"intel_pstate: CPU model not supported",
    ],
    "bochs-svm": [  # ryzen: no microcode with the SRSO fix
        r"Speculative Return Stack Overflow: IBPB-extending microcode not applied!",
        r"Speculative Return Stack Overflow: WARNING: See https://kernel\.org/doc/html/latest/"
        r"admin-guide/hw-vuln/srso\.html for mitigation options\.",
    ],
}
# A line of the log that is a warning: what the kernel prints for a fault it survived, a
# failed probe or a refused MSR.
WARNING = re.compile(r"\b(WARNING|BUG|Call Trace|unchecked MSR|[Ee]rror|[Ff]ail(ed|s|ure)?|"
                     r"Unable|not present|broken|weird|not supported|does not support|"
                     r"not available|unstable|[Ii]nvalid)\b")
# What the hypervisor hides from CPUID (CONTRACT.md 6, hypervisor/core/cpuid.c).
HIDDEN_FLAGS = {"vmx", "svm", "x2apic", "monitor", "mwaitx", "mce", "mca", "mtrr", "la57",
                "pdcm", "perfctr_core", "osvw"}


def boot_linux(boot, target, linux_guest):
    bochs = target[0] == "bochs"
    args = "console=ttyS0" + (f" {BOCHS_ARGS}" if bochs else "")
    kernel = linux_guest.pvh if bochs else linux_guest.kernel
    m = boot(*target, guest_kernel=kernel, guest_modules=[linux_guest.initrd],
             guest_args=args, guest_memory=MEMORY, memory=MEMORY + 128)
    m.wait_for(re.escape(READY), BOOT_DEADLINE, failure=r"Kernel panic")
    m.wait_for(PROMPT, SHELL_DEADLINE)
    return m


def run(m, command: str, done: str) -> str:
    """Types a command on the serial console; what it printed up to `done` (a regex that
    the echo of the typed line cannot match: the shell's arithmetic makes it)."""
    start = len(m.console_text())
    m.send(command + "\r")
    m.wait_for(done, SHELL_DEADLINE)
    return m.console_text()[start:]


def unexplained_warnings(boot_log: str, target) -> list[str]:
    explained = EXPLAINED + EXPLAINED_CPU_MODEL.get(target_id(target), [])
    return [ln for ln in boot_log.splitlines()
            if WARNING.search(ln) and not any(re.search(e, ln) for e in explained)]


# One boot a target, every check on it.
@scenario("conformance", 0)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_linux_reaches_a_shell_that_runs_what_is_typed_on_the_offered_cpu(boot, target,
                                                                          linux_guest):
    m = boot_linux(boot, target, linux_guest)
    boot_log = m.console_text()
    # the shell's arithmetic: the echo of the typed line shows $((6*7)), only a run shows 42
    out = run(m, "echo lab-$((6*7)) $(cat /proc/sys/kernel/osrelease)", r"lab-42 \S+\r?\n")
    assert f"lab-42 {linux_guest.version}" in out, out
    out = run(m, "grep -m1 ^flags /proc/cpuinfo; echo lab-$((1+1))", r"lab-2\r?\n")
    flags = re.search(r"^flags\s*:(.*)$", out, re.M)
    assert flags, out
    flags = set(flags[1].split())
    assert "hypervisor" in flags, "CPUID.1:ECX[31] (hypervisor present) is not set"
    assert not flags & HIDDEN_FLAGS, f"flags the hypervisor must hide: {flags & HIDDEN_FLAGS}"
    warnings = unexplained_warnings(boot_log, target)
    assert warnings == [], "kernel log lines no README entry explains:\n" + "\n".join(warnings)
