/*
 * The guests' turns on the one CPU (CONTRACT.md 10): round robin between the guests that
 * are ready, each for at most a slice while another waits; a guest that halts gives up the
 * CPU at once and is ready again when its PIC has an interrupt for it; a guest that ends
 * ends alone. With one guest this is the plain loop of milestones 2 to 4: it runs until it
 * halts, waits for its interrupt, and runs again. The slice is checked at each exit, and
 * the host's 1 kHz tick makes one at least every millisecond.
 */
#include "cpu.h"
#include "dedup.h"
#include "exits.h"
#include "hostirq.h"
#include "irq.h"
#include "log.h"
#include "uart.h"
#include "vm.h"
#include "xcr.h"

static struct vm *guests;
static int nr_guests;
static volatile bool exit_counts_wanted;
volatile bool lab_requests; /* something above wanted: looked at on every exit */
static u64 irqs_polled_tsc;
static u64 exit_tsc; /* the TSC as the last exit was taken: one read serves both uses */
static u64 host_tick_tsc; /* TSC cycles per host tick: worked out once, not at each exit */

/*
 * Bochs holds INTR back while a guest runs with RFLAGS.IF=0 (vmx/vcpu.c), and the VMX
 * preemption timer starts afresh at each entry: a guest that keeps exiting with interrupts
 * off (polling a port) would starve the hypervisor's own interrupts, its timer, the lab's
 * requests and the console's input. They are let in between two exits at least once per
 * host tick.
 */
static void poll_host_irqs(void)
{
	if (exit_tsc - irqs_polled_tsc >= host_tick_tsc) {
		irqs_polled_tsc = exit_tsc;
		host_take_irqs();
	}
}

/* Exits the hypervisor causes itself (its interrupts, the window it asked for) do not
 * count for the watchdog. */
static inline bool exit_is_guests(enum exit_reason r)
{
	return (unsigned)r - EXIT_EXTINT > EXIT_PREEMPT - EXIT_EXTINT;
}

/*
 * One step of a vCPU: enter the guest through the backend, dispatch the exit record
 * through core/run.c's table, and say whether the guest goes on. Inline in the loop
 * below: every exit takes this path (issue 14's budget).
 */
static inline bool vcpu_step(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vm_exit exit;
	exit_handler *handler = handle_unhandled;

	irq_before_entry(v);
	vm->ops->run(v, &exit);
	v->exits++;
	if (exit.reason < EXIT_COUNT) {
		v->exits_by_reason[exit.reason]++;
		handler = exit_handlers[exit.reason];
	}
	exit_tsc = rdtsc();
	if (exit_is_guests(exit.reason))
		vm->last_own_exit_tsc = exit_tsc;
	return handler(v, &exit);
}

/* Bytes the real COM2 receives: the lab's requests (drivers/uart.c, from IRQ3). */
static void log_channel_rx(u8 byte)
{
	if (byte == '?') {
		exit_counts_wanted = true;
		lab_requests = true;
	} else if (byte >= '0' && byte <= '9') {
		platform_request_focus(byte - '0');
	}
}

void run_answer_requests(void)
{
	lab_requests = false;
	platform_poll();
	if (!exit_counts_wanted)
		return;
	exit_counts_wanted = false;
	for (int k = 0; k < nr_guests; k++)
		log_exit_counts(&guests[k].vcpu, nr_guests > 1);
	dedup_log();
}

static void end_guest(struct vm *vm)
{
	vm->state = VM_ENDED;
	log_printf("guest: guest %d stopped after %lu exits\n", vm->id, vm->vcpu.exits);
	log_printf("@lab guest-end id=%d code=%d reason=%s\n", vm->id, vm->end_code,
		   end_reason(vm->end_code));
}

/* The next ready guest after guest `last` in turn, or NULL. */
static struct vm *next_ready(int last)
{
	for (int i = 1; i <= nr_guests; i++) {
		struct vm *vm = &guests[(last + i) % nr_guests];

		if (vm->state == VM_READY)
			return vm;
	}
	return NULL;
}

/* Makes the halted guests that have an interrupt ready; counts those still halted. */
static int wake_halted(bool *woke)
{
	int halted = 0;

	for (int k = 0; k < nr_guests; k++) {
		struct vm *vm = &guests[k];

		if (vm->state != VM_HALTED)
			continue;
		if (irq_pending(vm)) {
			vm->state = VM_READY;
			vm->last_own_exit_tsc = rdtsc(); /* halted time is not running time */
			*woke = true;
		} else {
			halted++;
		}
	}
	return halted;
}

/* No guest is ready: wake the halted ones that have an interrupt, else wait for one.
 * False when every guest has ended. */
static bool wait_for_a_guest(void)
{
	for (;;) {
		bool woke = false;
		int halted = wake_halted(&woke);

		if (woke || !halted)
			return woke;
		host_wait_irq();
		run_answer_requests(); /* guests that halt for good still answer */
		dedup_scan(true);
	}
}

/* Runs vm until it halts or ends, or (another guest being ready) its slice is over. */
static void run_turn(struct vm *vm, u64 slice_ns)
{
	u64 until = nr_guests > 1 ? time_ns() + slice_ns : 0;

	for (;;) {
		if (!vcpu_step(&vm->vcpu)) {
			end_guest(vm);
			return;
		}
		poll_host_irqs();
		if (lab_requests)
			run_answer_requests();
		dedup_scan(false);
		if (vm->state != VM_READY)
			return;
		/* At the end of a slice, halted guests whose interrupt came meanwhile are ready
		 * again, and the next ready one takes the CPU. */
		if (until && time_ns() >= until) {
			bool woke = false;

			wake_halted(&woke);
			if (next_ready(vm->id) != vm)
				return;
			until = time_ns() + slice_ns;
		}
	}
}

/* The run's verdict: pass if every guest passed, else the lowest-numbered one's. */
static enum end_code run_verdict(void)
{
	for (int k = 0; k < nr_guests; k++)
		if (guests[k].end_code != END_PASS)
			return guests[k].end_code;
	return END_PASS;
}

void vm_run(struct vm *vms, int n, u64 slice_ms)
{
	const struct virt_ops *ops = vms[0].ops;
	struct vm *loaded = NULL, *vm;
	int last = n - 1;

	guests = vms;
	nr_guests = n;
	host_tick_tsc = tsc_khz * 1000 / HOST_TICK_HZ;
	uart_com2_rx_init(log_channel_rx);
	log_printf("guest: running%s\n", n > 1 ? " (several guests)" : "");
	if (vms[0].watchdog_ms)
		log_printf("guest: watchdog %lu ms\n", vms[0].watchdog_ms);
	/* The tick as an NMI too, which exits a guest whatever its RFLAGS.IF: for watchdog=,
	 * and for the slices of several guests (a CPU-bound guest with interrupts off would
	 * never give the CPU up on Bochs, see above). */
	if ((vms[0].watchdog_ms || n > 1) && ops->nmi_exits)
		ioapic_pit_nmi();
	for (int k = 0; k < n; k++) {
		vms[k].state = VM_READY;
		vms[k].end_code = END_GUEST_CRASH;
		vms[k].last_own_exit_tsc = rdtsc();
	}
	for (;;) {
		vm = next_ready(last);
		if (!vm) {
			if (!wait_for_a_guest())
				break;
			continue;
		}
		if (vm != loaded) {
			if (ops->vcpu_load)
				ops->vcpu_load(&vm->vcpu);
			vcpu_load_host_regs(&vm->vcpu);
			loaded = vm;
		}
		if (vm->id != last)
			vm->last_own_exit_tsc = rdtsc(); /* time in other guests is not its own */
		last = vm->id;
		run_turn(vm, slice_ms * 1000000ULL);
	}
	for (int k = 0; k < n; k++)
		log_exit_counts(&vms[k].vcpu, n > 1);
	dedup_log();
	run_end(run_verdict());
}
