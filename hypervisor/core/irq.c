/*
 * The guest's interrupt path, after KVM's i8259.c/i8254.c wiring and its
 * inject_pending_event(): device models raise lines on the virtual PIC; before each VM
 * entry the core asks the PIC whether its INT output is up and, if the guest can take an
 * external interrupt now (RFLAGS.IF=1, no STI or MOV SS shadow, no event already queued:
 * SDM Vol 3A 6.8.3, APM Vol 2 15.20), runs the INTA cycle (pic_ack) and has the backend
 * inject the vector; otherwise the backend arms an interrupt window (VMX interrupt-window
 * exiting, SDM Vol 3C 25.6.2 and 27.7.5; SVM V_IRQ with the VINTR intercept, APM Vol 2
 * 15.21.4) and the injection happens at the entry after it opens.
 *
 * The PIT model follows the hypervisor's TSC time. It is brought up to date before every
 * entry, before every access to its ports, and while the guest halts; each OUT0 rising edge
 * is one pulse on IRQ0. Edges that come faster than the guest takes them are owed and
 * delivered one per acknowledge (KVM's "reinject" policy), up to PIT_OWED_MAX; while IRQ0
 * is masked the IRR latch holds one, as on the board, and the rest are dropped.
 */
#include "../devices/i8042.h"
#include "../devices/pic.h"
#include "../devices/pit.h"
#include "../devices/testdev.h"
#include "hostirq.h"
#include "irq.h"
#include "log.h"
#include "portbus.h"
#include "run_end.h"
#include "vm.h"

#define RFLAGS_IF BIT(9)
#define PIT_IRQ 0
#define KBD_IRQ 1
#define PIT_OWED_MAX 16

static struct pic_pair pic;
static struct pit pit;
static struct i8042 kbd;
static struct testdev_irq testirq;
static u64 pit_synced_ns; /* the hypervisor time the PIT model has reached */
static u64 pit_edge_ns;   /* when its next IRQ0 edge falls due (PIT_NO_EVENT: never) */
static u32 pit_owed;      /* IRQ0 edges not yet latched in the PIC */
static bool intr_glitch;  /* the test device's too-short request (devices/testdev.h) */

static struct port_device pic_master, pic_slave, pit_ports, pit_port_b, kbd_data, kbd_cmd;

void irq_set_line(int irq, int level)
{
	pic_set_irq(&pic, irq, level);
}

static bool irq0_masked(void)
{
	return pic.chip[0].imr & BIT(PIT_IRQ);
}

/* One owed edge into the PIC once the last one left IRR (acknowledged or dropped). */
static void pit_deliver_owed(void)
{
	if (pit_owed && !(pic.chip[0].irr & BIT(PIT_IRQ))) {
		pic_set_irq(&pic, PIT_IRQ, 1);
		pic_set_irq(&pic, PIT_IRQ, 0);
		pit_owed--;
	}
	/* Masked, the IRR latch holds one edge and the board loses the rest. */
	if (irq0_masked())
		pit_owed = 0;
}

/* After the model moved or was programmed: until pit_edge_ns, time brings it no edge. */
static void pit_plan(void)
{
	u64 ns = pit_next_event_ns(&pit);

	pit_edge_ns = ns == PIT_NO_EVENT ? PIT_NO_EVENT : pit_synced_ns + ns;
}

static void pit_sync_at(u64 now)
{
	if (now > pit_synced_ns) {
		pit_owed += pit_advance(&pit, now - pit_synced_ns);
		pit_synced_ns = now;
		if (pit_owed > PIT_OWED_MAX)
			pit_owed = PIT_OWED_MAX;
		pit_plan();
	}
	pit_deliver_owed();
}

static void pit_sync(void)
{
	pit_sync_at(time_ns());
}

/* The PIT's state depends on time: bring it up to now before the guest looks or writes. */
static u32 pit_read_synced(void *state, u16 port, u8 size)
{
	pit_sync();
	return pit_port_read(state, port, size);
}

static void pit_write_synced(void *state, u16 port, u8 size, u32 value)
{
	pit_sync();
	pit_port_write(state, port, size, value);
	pit_plan();
	pit_deliver_owed();
}

static void kbd_irq_line(void *opaque, int level)
{
	(void)opaque;
	pic_set_irq(&pic, KBD_IRQ, level);
}

/* The real keyboard's bytes (drivers/ps2kbd.c), already translated to set 1. */
static void kbd_input(u8 scancode)
{
	i8042_push_scancode(&kbd, scancode);
}

static void testirq_set_line(void *ctx, int irq, int level)
{
	(void)ctx;
	pic_set_irq(&pic, irq, level);
}

static void testirq_glitch(void *ctx)
{
	(void)ctx;
	intr_glitch = true;
}

static struct port_device testirq_dev = {
	.name = "testdev-irq", .base = TESTDEV_IRQ_PORT, .count = 1, .state = &testirq,
	.read = testdev_irq_read, .write = testdev_irq_write,
};

static void register_dev(struct port_device *d)
{
	if (!portbus_register(d))
		panic("irq: cannot register %s at port %#x", d->name, d->base);
}

void irq_platform_init(struct vm *vm)
{
	(void)vm;
	pic_init(&pic);
	pit_init(&pit);
	i8042_init(&kbd, kbd_irq_line, NULL);
	testirq = (struct testdev_irq){ testirq_set_line, testirq_glitch, NULL };
	pit_synced_ns = time_ns();
	pit_plan();

	/* The *_dev() helpers return by value: the bus keeps pointers, so keep them here. */
	pic_master = pic_master_dev(&pic);
	pic_slave = pic_slave_dev(&pic);
	pit_ports = pit_dev(&pit);
	pit_port_b = pit_port_b_dev(&pit);
	pit_ports.read = pit_port_b.read = pit_read_synced;
	pit_ports.write = pit_port_b.write = pit_write_synced;
	kbd_data = i8042_data_dev(&kbd);
	kbd_cmd = i8042_cmd_dev(&kbd);
	register_dev(&pic_master);
	register_dev(&pic_slave);
	register_dev(&pit_ports);
	register_dev(&pit_port_b);
	register_dev(&kbd_data);
	register_dev(&kbd_cmd);
	register_dev(&testirq_dev);
	ps2kbd_init(kbd_input);
}

static bool intr_requested(void)
{
	return pic_has_interrupt(&pic) || intr_glitch;
}

void irq_before_entry(struct vcpu *v)
{
	const struct virt_ops *ops = v->vm->ops;
	u64 now = time_ns();

	/* The common exit changes nothing the PIT does: no edge due, none owed. */
	if (pit_owed || now >= pit_edge_ns)
		pit_sync_at(now);
	if (!intr_requested()) {
		ops->set_intr_window(v, false);
		return;
	}
	if (!ops->interruptible(v)) {
		ops->set_intr_window(v, true);
		return;
	}
	intr_glitch = false;
	ops->inject_irq(v, pic_ack(&pic));
	ops->set_intr_window(v, false);
	pit_deliver_owed();
}

bool irq_wait_for_interrupt(struct vcpu *v)
{
	for (;;) {
		/* Nothing but a PIC line can wake it (no NMI source): with all masked, never. */
		if (!pic_any_line_open(&pic) && !intr_requested())
			return false;
		pit_sync();
		if (intr_requested())
			return true;
		host_wait_irq();
		run_answer_requests(v); /* a guest that halts for good still answers */
	}
}
