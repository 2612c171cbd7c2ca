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
#include "hostirq.h"
#include "irq.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

#define PIT_IRQ 0
#define PIT_OWED_MAX 16

/* The PIC pair's inputs, as every device model's struct irq_line reaches them. */
void irq_set_line(void *vm, int irq, int level)
{
	struct platform *d = &((struct vm *)vm)->dev;

	pic_set_irq(&d->pic, irq, level);
	if (!pic_quiet(&d->pic))
		d->irq_check_tsc = 0; /* the next entry looks */
}

/* A write to the PIC can unmask a request: the next entry looks then too. The PIC's
 * ports have the platform as their state for that. */
static u32 pic_read_watched(void *state, u16 port, u8 size)
{
	return pic_port_read(&((struct platform *)state)->pic, port, size);
}

static void pic_write_watched(void *state, u16 port, u8 size, u32 value)
{
	struct platform *d = state;

	pic_port_write(&d->pic, port, size, value);
	if (!pic_quiet(&d->pic))
		d->irq_check_tsc = 0;
}

struct irq_line irq_line_of(struct vm *vm, int irq)
{
	return (struct irq_line){ irq_set_line, vm, irq };
}

/* One owed edge into the PIC once the last one left IRR (acknowledged or dropped). */
static void pit_deliver_owed(struct platform *d)
{
	if (d->pit_owed && !pic_line_latched(&d->pic, PIT_IRQ)) {
		pic_set_irq(&d->pic, PIT_IRQ, 1);
		pic_set_irq(&d->pic, PIT_IRQ, 0);
		d->pit_owed--;
	}
	/* Masked, the IRR latch holds one edge and the board loses the rest. */
	if (pic_line_masked(&d->pic, PIT_IRQ))
		d->pit_owed = 0;
	if (d->pit_owed || !pic_quiet(&d->pic))
		d->irq_check_tsc = 0;
}

/* After the model moved or was programmed: until pit_edge_ns, time brings it no edge. */
static void pit_plan(struct platform *d)
{
	u64 ns = pit_next_event_ns(&d->pit);

	d->pit_edge_ns = ns == PIT_NO_EVENT ? PIT_NO_EVENT : d->pit_synced_ns + ns;
	d->pit_edge_tsc = ns == PIT_NO_EVENT ? ~0ULL : ns_to_tsc(d->pit_edge_ns);
	if (d->pit_edge_tsc < d->irq_check_tsc)
		d->irq_check_tsc = d->pit_edge_tsc;
}

static void pit_sync_at(struct platform *d, u64 now)
{
	if (now > d->pit_synced_ns) {
		d->pit_owed += pit_advance(&d->pit, now - d->pit_synced_ns);
		d->pit_synced_ns = now;
		if (d->pit_owed > PIT_OWED_MAX)
			d->pit_owed = PIT_OWED_MAX;
		pit_plan(d);
	}
	pit_deliver_owed(d);
}

/* The PIT's state depends on time: bring it up to now before the guest looks or writes. */
static u32 pit_read_synced(void *state, u16 port, u8 size)
{
	struct platform *d = state;

	pit_sync_at(d, time_ns());
	return pit_port_read(&d->pit, port, size);
}

static void pit_write_synced(void *state, u16 port, u8 size, u32 value)
{
	struct platform *d = state;

	pit_sync_at(d, time_ns());
	pit_port_write(&d->pit, port, size, value);
	pit_plan(d);
	pit_deliver_owed(d);
}

static void testirq_glitch(void *ctx)
{
	((struct vm *)ctx)->dev.intr_glitch = true;
	((struct vm *)ctx)->dev.irq_check_tsc = 0;
}

void irq_devices_init(struct vm *vm, struct port_device *ports, int *n)
{
	struct platform *d = &vm->dev;
	struct port_device pit_ports = pit_dev(&d->pit), port_b = pit_port_b_dev(&d->pit);

	pic_init(&d->pic);
	pit_init(&d->pit);
	i8042_init(&d->kbd, irq_line_of(vm, 1));
	d->testirq = (struct testdev_irq){ irq_set_line, testirq_glitch, vm };
	d->pit_synced_ns = time_ns();
	d->irq_check_tsc = 0; /* the first entry looks */
	pit_plan(d);

	/* The PIT's ports go through the clock sync above. */
	pit_ports.state = port_b.state = d;
	pit_ports.read = port_b.read = pit_read_synced;
	pit_ports.write = port_b.write = pit_write_synced;
	for (int k = 0; k < 2; k++) {
		struct port_device pic = k ? pic_slave_dev(&d->pic) : pic_master_dev(&d->pic);

		pic.state = d;
		pic.read = pic_read_watched;
		pic.write = pic_write_watched;
		ports[(*n)++] = pic;
	}
	ports[(*n)++] = pit_ports;
	ports[(*n)++] = port_b;
	ports[(*n)++] = i8042_data_dev(&d->kbd);
	ports[(*n)++] = i8042_cmd_dev(&d->kbd);
	ports[(*n)++] = testdev_irq_dev(&d->testirq);
}

/* `bios` (core/firmware.c): the masks a BIOS leaves, and counter 0 in mode 3 with the
 * longest count (control word 0x36, then 0 as lobyte and hibyte: 65536), through the same
 * port paths as the guest's own writes. */
void irq_bios_state(struct vm *vm, u8 master_imr, u8 slave_imr)
{
	struct platform *d = &vm->dev;

	pic_write_watched(d, PIC_MASTER_BASE + 1, 1, master_imr);
	pic_write_watched(d, PIC_SLAVE_BASE + 1, 1, slave_imr);
	pit_write_synced(d, PIT_BASE + 3, 1, 0x36);
	pit_write_synced(d, PIT_BASE, 1, 0);
	pit_write_synced(d, PIT_BASE, 1, 0);
}

static bool intr_requested(struct platform *d)
{
	return pic_has_interrupt(&d->pic) || d->intr_glitch;
}

/* Asked off only when it was asked on: the hardware may turn a window off by itself (SVM
 * clears V_IRQ once taken, APM 15.21.4) but never on, so "off" needs no call when off. */
static void window_off(struct vcpu *v)
{
	if (v->intr_window) {
		v->intr_window = false;
		v->vm->ops->set_intr_window(v, false);
	}
}

static void deliver(struct vcpu *v)
{
	const struct virt_ops *ops = v->vm->ops;
	struct platform *d = &v->vm->dev;

	if (d->pit_owed || rdtsc() >= d->pit_edge_tsc)
		pit_sync_at(d, time_ns());
	if (!intr_requested(d)) {
		window_off(v);
		return;
	}
	if (!ops->interruptible(v)) {
		v->intr_window = true;
		ops->set_intr_window(v, true);
		return;
	}
	d->intr_glitch = false;
	ops->inject_irq(v, pic_ack(&d->pic));
	window_off(v);
	pit_deliver_owed(d);
}

void irq_deliver(struct vcpu *v)
{
	struct platform *d = &v->vm->dev;

	deliver(v);
	d->irq_check_tsc = d->pit_owed || d->intr_glitch || v->intr_window || !pic_quiet(&d->pic) ?
			   0 : d->pit_edge_tsc;
}

bool irq_can_wake(struct vm *vm)
{
	/* Nothing but a PIC line can wake a halted guest (no NMI source): with all masked,
	 * never. */
	return pic_any_line_open(&vm->dev.pic) || intr_requested(&vm->dev);
}

bool irq_pending(struct vm *vm)
{
	pit_sync_at(&vm->dev, time_ns());
	return intr_requested(&vm->dev);
}
