"""lab.exitprofile: one exit's instructions, traced on Bochs and counted per function."""
from collections import Counter

from lab import exitprofile


class FakeSymbols:
    """Three functions: the exit stub at 0x100, the entry at 0x200, a handler at 0x300."""
    names = {0x100: "vmx_exit_stub", 0x200: "vmx_enter", 0x300: "handle_cpuid"}

    def name(self, addr: int) -> str:
        return self.names[addr & ~0xff]


def test_the_guests_instructions_are_told_by_place_not_by_address():
    # the guest's code lies at addresses the hypervisor's symbols also cover (0x3xx here)
    steps = [(0x100, "push rax"), (0x300, "mov eax, 1"), (0x200, "push rbp"),
             (0x208, "vmresume"), (0x310, "inc ecx"), (0x312, "cmp ecx, 1000"),
             (0x316, "jl .-10"), (0x100, "push rax")]
    assert exitprofile.by_function(steps[:-1], FakeSymbols()) == Counter(
        {"vmx_exit_stub": 1, "handle_cpuid": 1, "vmx_enter": 2, "(guest)": 3})


def test_on_svm_the_guest_ends_where_vmrun_returns():
    steps = [(0x200, "vmrun"), (0x310, "inc ecx"), (0x203, "mov rax, rdi")]
    assert exitprofile.by_function(steps, FakeSymbols()) == Counter(
        {"vmx_enter": 2, "(guest)": 1})


def test_the_profiled_round_trip_is_the_exit_cost_guests_own_figure(lab_outputs):
    """Bochs retires the same instructions whether or not its debugger traces them: the
    round trip counted from the trace is the figure the guest measured with its TSC."""
    p = exitprofile.profile(lab_outputs, "vmx")
    assert p.instructions == p.bench_figure
    assert sum(p.by_function.values()) == p.instructions
    assert p.by_function["handle_cpuid"] > 0 and p.by_function["(guest)"] > 0


def test_the_profiled_in_round_trip_is_the_guests_port_io_figure(lab_outputs):
    """--pio: the breakpoint moves to the IN handler once the CPUID loop runs, and the
    round trip traced is then an IN's: handle_io and the port bus in it, no CPUID."""
    p = exitprofile.profile(lab_outputs, "svm", pio=True)
    assert p.instructions == p.bench_figure
    assert p.by_function["handle_io"] > 0 and p.by_function["portbus_access"] > 0
    assert p.by_function["handle_cpuid"] == 0
