/* Host unit tests for the 8259A pair model (devices/pic.c). */
#include "types.h"
#include "pic.h"
#include "check.h"

static struct pic_pair pic;

static void outb(u16 port, u8 val)
{
	pic_port_write(&pic, port, 1, val);
}

static u8 inb(u16 port)
{
	return pic_port_read(&pic, port, 1);
}

static void pulse(int irq)
{
	pic_set_irq(&pic, irq, 1);
	pic_set_irq(&pic, irq, 0);
}

/* The chip's ISR through OCW3, as a guest reads it. */
static u8 isr(u16 base)
{
	outb(base, 0x0B);
	return inb(base);
}

static u8 irr(u16 base)
{
	outb(base, 0x0A);
	return inb(base);
}

static void init_chip(u16 base, u8 icw1, u8 icw2, u8 icw3, u8 icw4)
{
	outb(base, icw1);
	outb(base + 1, icw2);
	if (!(icw1 & 0x02))
		outb(base + 1, icw3);
	if (icw1 & 0x01)
		outb(base + 1, icw4);
}

/* SWEB's sequence (SWEB.md), both chips unmasked. */
static void sweb_init(void)
{
	pic_init(&pic);
	init_chip(0x20, 0x11, 0x20, 0x04, 0x01);
	init_chip(0xA0, 0x11, 0x28, 0x02, 0x01);
	outb(0x21, 0x00);
	outb(0xA1, 0x00);
}

static void eoi(u16 base)
{
	outb(base, 0x20);
}

static void test_init(void)
{
	pic_init(&pic);
	pulse(0);
	CHECK(!pic_has_interrupt(&pic), "before ICWs every IRQ is masked");
	CHECK(inb(0x21) == 0xFF && inb(0xA1) == 0xFF, "power-on IMR reads 0xFF");

	sweb_init();
	outb(0xA1, 0xBD);
	CHECK(inb(0x21) == 0x00 && inb(0xA1) == 0xBD, "SWEB init: IMR reads back its OCW1 masks");
	CHECK(inb(0x20) == 0x00 && inb(0xA0) == 0x00, "after init the base port reads IRR (empty)");
	CHECK(!pic.chip[0].init_step && !pic.chip[1].init_step, "ICW1-ICW4 complete the init");

	pic_init(&pic);
	outb(0x20, 0x11);
	CHECK(inb(0x21) == 0x00, "ICW1 clears IMR");
}

static void test_vector_base(void)
{
	sweb_init();
	pulse(0);
	CHECK(pic_has_interrupt(&pic), "IRQ0 edge raises INT");
	CHECK(pic_ack(&pic) == 0x20, "IRQ0 acks as vector 0x20 (ICW2 0x20)");
	eoi(0x20);
	pulse(3);
	CHECK(pic_ack(&pic) == 0x23, "IRQ3 acks as vector 0x23");
	eoi(0x20);

	pic_init(&pic);
	init_chip(0x20, 0x11, 0x6F, 0x04, 0x01);
	outb(0x21, 0x00);
	pulse(5);
	CHECK(pic_ack(&pic) == 0x6D, "ICW2 T2-T0 are ignored: base 0x6F gives IRQ5 0x6D");
}

static void test_masked_edge(void)
{
	sweb_init();
	outb(0x21, 0x02);
	pulse(1);
	CHECK(!pic_has_interrupt(&pic), "an edge on a masked IRQ raises no INT");
	CHECK(irr(0x20) == 0x02, "the masked edge is latched in IRR");
	outb(0x21, 0x00);
	CHECK(pic_has_interrupt(&pic), "unmasking delivers the pending edge");
	CHECK(pic_ack(&pic) == 0x21, "the pending edge acks as IRQ1");
	eoi(0x20);
	CHECK(!pic_has_interrupt(&pic), "the pending edge is delivered once");
}

static void test_nesting(void)
{
	sweb_init();
	pulse(0);
	CHECK(pic_ack(&pic) == 0x20, "IRQ0 delivered");
	pulse(0);
	pulse(3);
	CHECK(!pic_has_interrupt(&pic), "IRQ0 in service blocks itself and lower IRQ3");
	eoi(0x20);
	CHECK(pic_has_interrupt(&pic) && pic_ack(&pic) == 0x20,
	      "after EOI the re-raised IRQ0 wins over the waiting IRQ3");
	eoi(0x20);
	CHECK(pic_ack(&pic) == 0x23, "then IRQ3 is delivered");

	/* IRQ3 in service; IRQ0 is higher and nests */
	pulse(0);
	CHECK(pic_has_interrupt(&pic) && pic_ack(&pic) == 0x20,
	      "fully nested: a higher IRQ interrupts a lower one in service");
	CHECK(isr(0x20) == 0x09, "both IRQ0 and IRQ3 are in service");
}

static void test_eoi(void)
{
	sweb_init();
	pulse(3);
	pic_ack(&pic);
	pulse(0);
	pic_ack(&pic);
	eoi(0x20);
	CHECK(isr(0x20) == 0x08, "non-specific EOI clears the highest priority ISR bit (IRQ0)");

	pulse(0);
	pic_ack(&pic);
	outb(0x20, 0x63);
	CHECK(isr(0x20) == 0x01, "specific EOI 0x63 clears IRQ3, leaves IRQ0");
	outb(0x20, 0x60);
	CHECK(isr(0x20) == 0x00, "specific EOI 0x60 clears IRQ0");
}

static void test_rotation(void)
{
	sweb_init();
	pulse(0);
	pic_ack(&pic);
	outb(0x20, 0xA0);	/* rotate on non-specific EOI */
	CHECK(isr(0x20) == 0x00, "rotate on non-specific EOI ends IRQ0's service");
	pulse(0);
	pulse(1);
	CHECK(pic_ack(&pic) == 0x21, "after rotation IRQ0 is lowest: IRQ1 goes first");
	eoi(0x20);
	CHECK(pic_ack(&pic) == 0x20, "then IRQ0");
	eoi(0x20);

	outb(0x20, 0xC4);	/* set priority: IRQ4 lowest, IRQ5 highest */
	pulse(3);
	pulse(6);
	CHECK(pic_ack(&pic) == 0x26, "set priority 4: IRQ6 outranks IRQ3");
	outb(0x20, 0xE6);	/* rotate on specific EOI 6: IRQ7 highest */
	CHECK(isr(0x20) == 0x00, "rotate on specific EOI clears that ISR bit");
	pulse(7);
	CHECK(pic_ack(&pic) == 0x27, "rotate on specific EOI 6 makes IRQ7 highest");
}

static void test_aeoi(void)
{
	pic_init(&pic);
	init_chip(0x20, 0x11, 0x20, 0x04, 0x03);	/* ICW4: 8086 mode, AEOI */
	outb(0x21, 0x00);
	pulse(1);
	CHECK(pic_ack(&pic) == 0x21, "AEOI: IRQ1 delivered");
	CHECK(isr(0x20) == 0x00, "AEOI: no ISR bit stays set");
	pulse(1);
	CHECK(pic_has_interrupt(&pic), "AEOI: the next IRQ1 needs no EOI");
	pic_ack(&pic);

	outb(0x20, 0x80);	/* rotate in AEOI mode (set) */
	pulse(0);
	CHECK(pic_ack(&pic) == 0x20, "rotate in AEOI: IRQ0 delivered");
	pulse(0);
	pulse(5);
	CHECK(pic_ack(&pic) == 0x25, "rotate in AEOI: the serviced IRQ0 became lowest");
	outb(0x20, 0x00);	/* rotate in AEOI mode (clear) */
	CHECK(!pic.chip[0].rotate_on_aeoi, "rotate in AEOI clear command");
}

static void test_ocw3_read(void)
{
	sweb_init();
	pulse(4);
	pulse(6);
	pic_ack(&pic);
	outb(0x20, 0x0A);
	CHECK(inb(0x20) == 0x40, "OCW3 read IRR: IRQ6 waits");
	outb(0x20, 0x0B);
	CHECK(inb(0x20) == 0x10, "OCW3 read ISR: IRQ4 in service");
	CHECK(inb(0x20) == 0x10, "the read register select persists");
	CHECK(inb(0x21) == 0x00, "the data port reads IMR whatever OCW3 selects");
}

static void test_poll(void)
{
	sweb_init();
	outb(0x21, 0xFF);
	outb(0x21, 0x00);
	pulse(5);
	outb(0x20, 0x0C);
	CHECK(inb(0x20) == 0x85, "poll: bit 7 set, level 5");
	CHECK(isr(0x20) == 0x20, "poll acts as INTA: IRQ5 in service");
	outb(0x20, 0x0C);
	CHECK(inb(0x20) == 0x00, "poll with nothing pending reads 0");
	CHECK(irr(0x20) == 0x00, "the poll is a one-shot: the next read is IRR again");
	eoi(0x20);

	pulse(10);
	outb(0x20, 0x0C);
	CHECK(inb(0x20) == 0x82, "poll on the master sees the cascade IR2");
	outb(0xA0, 0x0C);
	CHECK(inb(0xA1) == 0x82, "poll on the slave (via its data port) gives level 2 (IRQ10)");
}

static void test_special_mask(void)
{
	sweb_init();
	pulse(3);
	pic_ack(&pic);
	pulse(5);
	CHECK(!pic_has_interrupt(&pic), "IRQ3 in service blocks IRQ5");
	outb(0x21, 0x08);	/* mask IRQ3 */
	outb(0x20, 0x68);	/* OCW3: set special mask mode */
	CHECK(pic_has_interrupt(&pic) && pic_ack(&pic) == 0x25,
	      "special mask mode: a masked level in service lets IRQ5 through");
	outb(0x20, 0x65);	/* specific EOI 5 */
	pulse(6);
	outb(0x20, 0x48);	/* OCW3: reset special mask mode */
	CHECK(!pic_has_interrupt(&pic), "reset special mask mode: IRQ3 blocks IRQ6 again");
}

static void test_cascade(void)
{
	sweb_init();
	pic_set_irq(&pic, 12, 1);
	CHECK(pic_has_interrupt(&pic), "slave IRQ12 raises the master's INT");
	CHECK(pic_ack(&pic) == 0x2C, "IRQ12 acks as the slave's base + 4");
	CHECK(isr(0x20) == 0x04 && isr(0xA0) == 0x10, "master IR2 and slave IR4 are in service");
	pic_set_irq(&pic, 12, 0);
	pulse(9);
	pulse(3);
	CHECK(!pic_has_interrupt(&pic), "fully nested: master IR2 in service blocks slave and IRQ3");
	pulse(1);
	CHECK(pic_ack(&pic) == 0x21, "IRQ1 (above IR2) nests over the slave");
	eoi(0x20);
	eoi(0xA0);
	CHECK(!pic_has_interrupt(&pic), "slave EOI alone: master IR2 still blocks");
	eoi(0x20);
	CHECK(pic_ack(&pic) == 0x29, "after both EOIs the waiting IRQ9 arrives");
	eoi(0xA0);
	eoi(0x20);
	CHECK(pic_ack(&pic) == 0x23, "then IRQ3, below IR2");
	eoi(0x20);
	pulse(15);
	CHECK(pic_ack(&pic) == 0x2F, "IRQ15 through the cascade");
}

static void test_spurious(void)
{
	pic_init(&pic);
	init_chip(0x20, 0x19, 0x20, 0x04, 0x01);	/* level triggered */
	init_chip(0xA0, 0x11, 0x28, 0x02, 0x01);
	outb(0x21, 0x00);
	outb(0xA1, 0x00);
	pic_set_irq(&pic, 5, 1);
	CHECK(pic_has_interrupt(&pic), "level IRQ5 raises INT");
	pic_set_irq(&pic, 5, 0);
	CHECK(pic_ack(&pic) == 0x27, "request gone before INTA: spurious IRQ7 vector");
	CHECK(isr(0x20) == 0x00, "spurious IRQ7 sets no ISR bit");

	sweb_init();
	pulse(4);
	CHECK(pic_has_interrupt(&pic), "edge IRQ4 raises INT");
	outb(0x21, 0x10);
	CHECK(pic_ack(&pic) == 0x27 && isr(0x20) == 0x00,
	      "masked between INT and INTA: spurious IRQ7, no ISR");

	sweb_init();
	pulse(10);
	CHECK(pic_has_interrupt(&pic), "slave IRQ10 raises INT");
	outb(0xA1, 0x04);
	CHECK(pic_ack(&pic) == 0x2F, "slave request gone before INTA: spurious IRQ15 vector");
	CHECK(isr(0xA0) == 0x00 && isr(0x20) == 0x04,
	      "spurious IRQ15: slave ISR clear, master IR2 in service");
}

static void test_level(void)
{
	pic_init(&pic);
	init_chip(0x20, 0x19, 0x20, 0x04, 0x01);
	outb(0x21, 0x00);
	pic_set_irq(&pic, 5, 1);
	CHECK(pic_ack(&pic) == 0x25, "level IRQ5 delivered");
	CHECK(!pic_has_interrupt(&pic), "level IRQ5 in service is not re-delivered");
	eoi(0x20);
	CHECK(pic_has_interrupt(&pic) && pic_ack(&pic) == 0x25,
	      "level mode: a line still high after EOI re-asserts");
	pic_set_irq(&pic, 5, 0);
	eoi(0x20);
	CHECK(!pic_has_interrupt(&pic), "level mode: a low line leaves nothing pending");
	pic_set_irq(&pic, 5, 1);
	init_chip(0x20, 0x19, 0x20, 0x04, 0x01);
	outb(0x21, 0x00);
	CHECK(pic_ack(&pic) == 0x25, "level mode: a line high across ICW1 is still a request");

	sweb_init();
	pic_set_irq(&pic, 5, 1);
	pic_ack(&pic);
	eoi(0x20);
	CHECK(!pic_has_interrupt(&pic), "edge mode: a line held high is delivered once");
	outb(0x20, 0x11);	/* re-init with the line still high */
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	CHECK(!pic_has_interrupt(&pic), "ICW1 resets the edge sense: a high line needs a new edge");
	pic_set_irq(&pic, 5, 0);
	pic_set_irq(&pic, 5, 1);
	CHECK(pic_ack(&pic) == 0x25, "a new low-to-high edge after ICW1 is delivered");
}

static void test_init_variants(void)
{
	pic_init(&pic);
	outb(0x20, 0x13);	/* single, ICW4 needed: no ICW3 */
	outb(0x21, 0x40);
	outb(0x21, 0x01);
	outb(0x21, 0x04);
	CHECK(inb(0x21) == 0x04, "single mode skips ICW3: the 4th write is OCW1");
	pulse(1);
	CHECK(pic_ack(&pic) == 0x41, "single mode vector base 0x40");

	pic_init(&pic);
	outb(0x20, 0x10);	/* cascade, no ICW4 */
	outb(0x21, 0x50);
	outb(0x21, 0x04);
	outb(0x21, 0xF0);
	CHECK(inb(0x21) == 0xF0 && !pic.chip[0].mode_8086 && !pic.chip[0].auto_eoi,
	      "without IC4 the ICW4 functions are zero and OCW1 follows ICW3");

	sweb_init();
	CHECK(pic.chip[0].mode_8086 && pic.chip[0].icw3 == 0x04 && pic.chip[1].icw3 == 2,
	      "ICW3 and ICW4 8086 mode recorded");
	pic_init(&pic);
	init_chip(0x20, 0x11, 0x20, 0x04, 0x11);	/* special fully nested */
	init_chip(0xA0, 0x11, 0x28, 0x02, 0x01);
	outb(0x21, 0);
	outb(0xA1, 0);
	pulse(12);
	pic_ack(&pic);
	pulse(9);
	CHECK(pic_ack(&pic) == 0x29, "special fully nested: a higher slave IRQ nests under IR2");
}

static void test_sweb_irq6(void)
{
	sweb_init();
	outb(0xA1, 0xBD);
	pulse(6);
	CHECK(pic_ack(&pic) == 0x26, "SWEB: IRQ6 delivered");
	/* SWEB's IRQ6 handler sends no EOI; IRQ6 stays in service */
	pulse(0);
	CHECK(pic_ack(&pic) == 0x20, "IRQ6 left in service does not block IRQ0");
	eoi(0x20);
	pulse(14);
	CHECK(pic_ack(&pic) == 0x2E, "nor slave IRQ14 (through IR2, above IR6)");
	eoi(0xA0);
	eoi(0x20);
	pulse(8);
	CHECK(!pic_has_interrupt(&pic), "slave mask 0xBD holds IRQ8");
}

static void test_glue(void)
{
	struct port_device m = pic_master_dev(&pic), s = pic_slave_dev(&pic);

	CHECK(m.base == 0x20 && m.count == 2 && s.base == 0xA0 && s.count == 2 &&
	      m.state == &pic && m.read && m.write, "port_device glue: 0x20/2 and 0xA0/2");
	sweb_init();
	m.write(m.state, 0x21, 1, 0x5A);
	CHECK(s.read(s.state, 0x21, 1) == 0x5A, "one read/write pair serves both chips by port");
	CHECK(m.eight_bit && s.eight_bit, "8-bit devices: the bus splits wider accesses");
}

/* Whether any line can still raise INT: what ends a guest's HLT for good (core/irq.c). */
static void test_any_line_open(void)
{
	pic_init(&pic);
	CHECK(!pic_any_line_open(&pic), "power-on: every line masked, none open");
	sweb_init();
	CHECK(pic_any_line_open(&pic), "SWEB init unmasks both chips");
	outb(0x21, 0xFB);
	CHECK(pic_any_line_open(&pic), "only the cascade open on the master: the slave's lines");
	outb(0xA1, 0xFF);
	CHECK(!pic_any_line_open(&pic), "the cascade open but every slave line masked: none");
	outb(0x21, 0xFE);
	CHECK(pic_any_line_open(&pic), "IRQ0 open");
	outb(0x21, 0xFF);
	outb(0xA1, 0x00);
	CHECK(!pic_any_line_open(&pic), "slave lines open behind a masked cascade: none");
}

int main(void)
{
	test_init();
	test_vector_base();
	test_masked_edge();
	test_nesting();
	test_eoi();
	test_rotation();
	test_aeoi();
	test_ocw3_read();
	test_poll();
	test_special_mask();
	test_cascade();
	test_spurious();
	test_level();
	test_init_variants();
	test_sweb_irq6();
	test_glue();
	test_any_line_open();
	return check_done();
}
