/*
 * Virtual 8259A PIC pair. Section names are from the Intel 8259A datasheet (231468-003).
 * Priority arithmetic follows KVM's i8259.c: priority_add rotates the priority ring, so
 * IR ((p + priority_add) & 7) has priority p, 0 being the highest.
 */
#include "types.h"
#include "portbus.h"
#include "pic.h"

#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SELECT 0x10	/* A0=0, D4=1: this is ICW1 */
#define OCW3_SELECT 0x08	/* A0=0, D4=0, D3=1: OCW3, else OCW2 */
#define ICW4_UPM 0x01
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40

static int get_priority(const struct pic_chip *c, u8 mask)
{
	int priority = 0;

	if (!mask)
		return 8;
	while (!(mask & BIT((priority + c->priority_add) & 7)))
		priority++;
	return priority;
}

/* The IR the chip would interrupt for now, or -1 ("Priority Resolver", "Special Mask Mode"). */
static int chip_get_irq(const struct pic_chip *c)
{
	int want = get_priority(c, c->irr & ~c->imr);
	u8 in_service = c->isr;

	if (want == 8)
		return -1;
	/* Special mask mode: a masked level in service no longer blocks lower levels. */
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Special fully nested mode: the slave may interrupt while IR2 is in service. */
	if (c->is_master && c->special_fully_nested)
		in_service &= ~BIT(PIC_CASCADE_IRQ);
	if (want < get_priority(c, in_service))
		return (want + c->priority_add) & 7;
	return -1;
}

static void chip_set_line(struct pic_chip *c, int irq, int level)
{
	u8 bit = BIT(irq);

	if (c->level_triggered) {
		/* "Level Triggered Mode": IRR follows the pin. */
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		/*
		 * Edge mode: the rising edge latches IRR, and the latch survives the pin going low
		 * and IMR masking it, so an edge that arrives while masked is delivered on unmask
		 * (as KVM and Xen do; the core pulses the line rather than holding it to INTA).
		 */
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/* The slave's INT output drives the master's IR2. */
static void update_cascade(struct pic_pair *p)
{
	chip_set_line(&p->chip[0], PIC_CASCADE_IRQ, chip_get_irq(&p->chip[1]) >= 0);
}

/* First INTA pulse: set ISR, clear an edge-latched IRR; AEOI ends service at the second. */
static void chip_intack(struct pic_chip *c, int irq)
{
	if (!c->level_triggered)
		c->irr &= ~BIT(irq);
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= BIT(irq);
	}
}

static void chip_reset(struct pic_chip *c, bool master)
{
	for (size_t i = 0; i < sizeof(*c); i++)
		((u8 *)c)[i] = 0;
	c->is_master = master;
	/* Until the guest's ICW1-ICW4, look like a BIOS left us: vectors 08h/70h, all masked. */
	c->vector_base = master ? 0x08 : 0x70;
	c->icw3 = master ? BIT(PIC_CASCADE_IRQ) : PIC_CASCADE_IRQ;
	c->imr = 0xFF;
	c->mode_8086 = true;
}

void pic_init(struct pic_pair *p)
{
	chip_reset(&p->chip[0], true);
	chip_reset(&p->chip[1], false);
}

void pic_set_irq(struct pic_pair *p, int irq, int level)
{
	if (irq < 0 || irq > 15)
		return;
	chip_set_line(&p->chip[irq >> 3], irq & 7, level);
	update_cascade(p);
}

bool pic_has_interrupt(struct pic_pair *p)
{
	return chip_get_irq(&p->chip[0]) >= 0;
}

static bool is_cascade(const struct pic_chip *master, int irq)
{
	return !master->single && irq == PIC_CASCADE_IRQ && (master->icw3 & BIT(irq));
}

bool pic_any_line_open(const struct pic_pair *p)
{
	u8 master_open = (u8)~p->chip[0].imr;

	if (master_open & ~BIT(PIC_CASCADE_IRQ))
		return true;
	return (master_open & BIT(PIC_CASCADE_IRQ)) && p->chip[1].imr != 0xff;
}

int pic_ack(struct pic_pair *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_get_irq(m), vector;

	if (irq < 0) {
		/* "Interrupt Sequence": no request at INTA gives IR7, and no ISR bit is set. */
		vector = m->vector_base | 7;
	} else {
		chip_intack(m, irq);
		if (is_cascade(m, irq)) {
			int sirq = chip_get_irq(s);

			/* A vanished slave request gives IR15; the master's IR2 stays in service. */
			if (sirq >= 0)
				chip_intack(s, sirq);
			vector = s->vector_base | (sirq >= 0 ? sirq : 7);
		} else {
			vector = m->vector_base | irq;
		}
	}
	update_cascade(p);
	return vector;
}

static void write_icw1(struct pic_chip *c, u8 val)
{
	bool master = c->is_master;
	u8 lines = c->lines;

	/* "Initialization Command Words": clears IMR, IR7 lowest, SMM off, read IRR next. */
	for (size_t i = 0; i < sizeof(*c); i++)
		((u8 *)c)[i] = 0;
	c->is_master = master;
	c->lines = lines;
	c->level_triggered = val & ICW1_LTIM;
	c->single = val & ICW1_SNGL;
	c->icw4_needed = val & ICW1_IC4;
	/* The edge sense latch is reset: an edge mode IR needs a new low-to-high transition. */
	c->irr = c->level_triggered ? lines : 0;
	c->init_step = 2;
}

static void write_ocw2(struct pic_chip *c, u8 val)
{
	int irq = val & 7;

	switch (val >> 5) {
	case 0: /* rotate in AEOI mode (clear) */
		c->rotate_on_aeoi = false;
		break;
	case 4: /* rotate in AEOI mode (set) */
		c->rotate_on_aeoi = true;
		break;
	case 1: /* non-specific EOI: the highest priority level in service */
	case 5: /* rotate on non-specific EOI */
		if (!c->isr)
			break;
		irq = (get_priority(c, c->isr) + c->priority_add) & 7;
		c->isr &= ~BIT(irq);
		if (val >> 5 == 5)
			c->priority_add = (irq + 1) & 7;
		break;
	case 3: /* specific EOI */
	case 7: /* rotate on specific EOI */
		c->isr &= ~BIT(irq);
		if (val >> 5 == 7)
			c->priority_add = (irq + 1) & 7;
		break;
	case 6: /* set priority: L2-L0 becomes the lowest */
		c->priority_add = (irq + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void write_ocw3(struct pic_chip *c, u8 val)
{
	if (val & OCW3_POLL)
		c->poll = true;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
}

static void write_data(struct pic_chip *c, u8 val)
{
	switch (c->init_step) {
	case 2: /* ICW2: T7-T3; T2-T0 come from the IR level in 8086 mode */
		c->vector_base = val & 0xF8;
		c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
		break;
	case 3: /* ICW3: slave bitmap (master) or slave ID */
		c->icw3 = c->is_master ? val : (val & 7);
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4: /* ICW4; without it all ICW4 functions are zero */
		c->mode_8086 = val & ICW4_UPM;
		c->auto_eoi = val & ICW4_AEOI;
		c->special_fully_nested = val & ICW4_SFNM;
		c->init_step = 0;
		break;
	default: /* OCW1 */
		c->imr = val;
		break;
	}
}

/* "Poll Command": the read is an INTA; bit 7 says a request was there, bits 2-0 its level. */
static u8 chip_poll(struct pic_chip *c)
{
	int irq = chip_get_irq(c);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_intack(c, irq);
	return 0x80 | irq;
}

static struct pic_chip *port_chip(struct pic_pair *p, u16 port)
{
	return &p->chip[(port & 0xF0) == PIC_SLAVE_BASE ? 1 : 0];
}

static u8 read_byte(struct pic_pair *p, u16 port)
{
	struct pic_chip *c = port_chip(p, port);
	u8 val;

	if (c->poll)
		val = chip_poll(c);
	else if (port & 1)
		val = c->imr;
	else
		val = c->read_isr ? c->isr : c->irr;
	update_cascade(p);
	return val;
}

static void write_byte(struct pic_pair *p, u16 port, u8 val)
{
	struct pic_chip *c = port_chip(p, port);

	if (port & 1)
		write_data(c, val);
	else if (val & ICW1_SELECT)
		write_icw1(c, val);
	else if (val & OCW3_SELECT)
		write_ocw3(c, val);
	else
		write_ocw2(c, val);
	update_cascade(p);
}

static bool is_pic_port(u16 port)
{
	return port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1;
}

/* An 8-bit device: the bus splits wider accesses (core/portbus.c). */
u32 pic_port_read(void *state, u16 port, u8 size)
{
	(void)size;
	return is_pic_port(port) ? read_byte(state, port) : 0xFF;
}

void pic_port_write(void *state, u16 port, u8 size, u32 value)
{
	(void)size;
	if (is_pic_port(port))
		write_byte(state, port, value);
}

bool pic_line_masked(const struct pic_pair *p, int irq)
{
	return p->chip[irq >> 3].imr & BIT(irq & 7);
}

bool pic_line_latched(const struct pic_pair *p, int irq)
{
	return p->chip[irq >> 3].irr & BIT(irq & 7);
}

struct port_device pic_master_dev(struct pic_pair *p)
{
	return (struct port_device){
		.name = "pic-master", .base = PIC_MASTER_BASE, .count = 2, .eight_bit = true, .state = p,
		.read = pic_port_read, .write = pic_port_write,
	};
}

struct port_device pic_slave_dev(struct pic_pair *p)
{
	return (struct port_device){
		.name = "pic-slave", .base = PIC_SLAVE_BASE, .count = 2, .eight_bit = true, .state = p,
		.read = pic_port_read, .write = pic_port_write,
	};
}
