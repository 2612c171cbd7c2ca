"""Errors for people: each carries one line that says what went wrong and what to do."""


class LabError(Exception):
    """A problem the user can fix; the CLI prints it as one line, without a traceback."""


class ConfigError(LabError):
    """A malformed profile or a bad option."""


class BuildError(LabError):
    """The build failed; the compiler's own output was already shown."""


class PlatformError(LabError):
    """The asked-for platform is unknown, missing, or cannot run the asked-for backend."""


class InfraError(LabError):
    """The emulator could not be started or died on its own: not the hypervisor's fault."""


class StepTimeout(LabError):
    """A step did not finish before its own deadline."""


class MachineHung(StepTimeout):
    """The machine stalled: no output and its CPU stuck with interrupts off (CONTRACT.md)."""
