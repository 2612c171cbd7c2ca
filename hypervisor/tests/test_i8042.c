/* Host unit tests for the i8042 keyboard controller model (devices/i8042.c). */
#include "types.h"
#include "i8042.h"
#include "check.h"

static struct i8042 kbc;
static int irq_rises, irq_level;

static void irq_cb(void *opaque, int irq, int level)
{
	(void)opaque;
	(void)irq;
	if (level && !irq_level)
		irq_rises++;
	irq_level = level;
}

static void reset(void)
{
	irq_rises = irq_level = 0;
	i8042_init(&kbc, (struct irq_line){ irq_cb, NULL, 1 });
}

static void outb(u16 port, u8 val)
{
	i8042_port_write(&kbc, port, 1, val);
}

static u8 inb(u16 port)
{
	return i8042_port_read(&kbc, port, 1);
}

static bool obf(void)
{
	return inb(0x64) & I8042_STR_OBF;
}

/* The bytes now readable, in order, as a polling driver drains them; returns how many. */
static int drain(u8 *out, int max)
{
	int n = 0;

	while (obf() && n < max)
		out[n++] = inb(0x60);
	return n;
}

static void test_controller_commands(void)
{
	reset();
	CHECK(!obf(), "power-on: output buffer empty");
	outb(0x64, 0xAA);
	CHECK(obf() && inb(0x60) == 0x55, "0xAA self test replies 0x55");
	CHECK(!obf(), "reading 0x60 empties the output buffer");
	outb(0x64, 0xAB);
	CHECK(inb(0x60) == 0x00, "0xAB interface test replies 0x00");
	outb(0x64, 0xA7);
	outb(0x64, 0xA8);
	CHECK(!obf(), "0xA7/0xA8 (AUX) produce no output");
	outb(0x64, 0xD1);
	outb(0x60, 0xDF);
	CHECK(!obf() && kbc.out_port == 0xDF, "0xD1: the data byte goes to the output port, not the keyboard");
	CHECK(!kbc.reset_requested, "no reset requested yet");
	outb(0x64, 0xFE);
	CHECK(kbc.reset_requested, "0xFE pulses reset: flag for the core");
}

static void test_command_byte(void)
{
	u8 buf[4];

	reset();
	outb(0x64, 0x20);
	CHECK(inb(0x60) == 0x45, "command byte defaults to 0x45 (IRQ1, SYS, translate)");
	outb(0x64, 0x60);
	outb(0x60, 0x61);
	outb(0x64, 0x20);
	CHECK(drain(buf, 4) == 1 && buf[0] == 0x61, "0x60 then 0x20: the command byte round trips");
	CHECK(!(inb(0x64) & I8042_STR_SYS), "status SYS follows command byte bit 2");
	outb(0x64, 0x60);
	outb(0x60, 0x45);
	CHECK(inb(0x64) & I8042_STR_SYS, "status SYS set again");
}

static void test_status(void)
{
	reset();
	u8 st = inb(0x64);
	CHECK(!(st & I8042_STR_IBF) && (st & I8042_STR_INH) && !(st & I8042_STR_AUXOBF),
	      "status: IBF clear, not inhibited, no AUX data");
	outb(0x64, 0xAE);
	CHECK(inb(0x64) & I8042_STR_A2, "status A2 set after a write to 0x64");
	outb(0x60, 0xF4);
	CHECK(!(inb(0x64) & I8042_STR_A2), "status A2 clear after a write to 0x60");
}

static void test_sweb_sequence(void)
{
	u8 buf[8];

	reset();
	i8042_push_scancode(&kbc, 0x9C);	/* stale bytes left at boot: SWEB drains them */
	i8042_push_scancode(&kbc, 0x1C);
	CHECK(drain(buf, 8) == 2 && buf[0] == 0x9C && buf[1] == 0x1C,
	      "SWEB start: drain 0x60 while 0x64 bit 0");

	i8042_push_scancode(&kbc, 0x1E);	/* 'a' make */
	i8042_push_scancode(&kbc, 0x9E);	/* 'a' break */
	CHECK(i8042_irq_pending(&kbc), "a scancode raises IRQ1");
	CHECK(!(inb(0x64) & I8042_STR_IBF), "SWEB IRQ1: 0x64 bit 1 clear");
	outb(0x64, 0xAD);
	CHECK(inb(0x60) == 0x1E, "SWEB IRQ1: 0xAD then 0x60 gives the make code");
	CHECK(!obf() && !i8042_irq_pending(&kbc), "with the keyboard disabled the break code waits");
	int rises = irq_rises;
	outb(0x64, 0xAE);
	CHECK(obf() && irq_rises == rises + 1, "0xAE: the break code arrives with a new IRQ1 edge");
	outb(0x64, 0xAD);
	CHECK(inb(0x60) == 0x9E, "second IRQ1 reads the break code");
	outb(0x64, 0xAE);
	CHECK(!obf() && !i8042_irq_pending(&kbc), "queue empty: no OBF, no IRQ1");
}

static void test_disabled_holds(void)
{
	u8 buf[8];

	reset();
	outb(0x64, 0xAD);
	i8042_push_scancode(&kbc, 0x10);
	i8042_push_scancode(&kbc, 0x11);
	CHECK(!obf() && !i8042_irq_pending(&kbc), "0xAD: pushed scancodes wait, OBF stays clear");
	outb(0x64, 0x20);
	CHECK(drain(buf, 8) == 1 && buf[0] == 0x55,
	      "controller replies pass while the keyboard is disabled (ctr 0x55)");
	outb(0x64, 0xAE);
	CHECK(drain(buf, 8) == 2 && buf[0] == 0x10 && buf[1] == 0x11,
	      "0xAE releases the held scancodes in order");
}

static void test_fifo(void)
{
	u8 buf[40];
	bool in_order = true;

	reset();
	for (int i = 0; i < 20; i++)
		i8042_push_scancode(&kbc, 0x02 + i);
	int n = drain(buf, 40);
	for (int i = 0; i < n; i++)
		in_order &= buf[i] == 0x02 + i;
	CHECK(n == 20 && in_order, "20 queued scancodes come out in FIFO order");
	for (int i = 0; i < 40; i++)
		i8042_push_scancode(&kbc, i);
	n = drain(buf, 40);
	CHECK(n >= 16 && buf[0] == 0 && buf[n - 1] == n - 1,
	      "the queue holds at least 16 bytes; overflow drops the newest");
	CHECK(inb(0x60) == buf[n - 1] && !obf(),
	      "reading an empty buffer repeats the last byte, OBF clear");
}

static void test_keyboard_commands(void)
{
	u8 buf[8];

	reset();
	i8042_push_scancode(&kbc, 0x1E);
	outb(0x60, 0xFF);
	CHECK(drain(buf, 8) == 3 && buf[0] == 0x1E && buf[1] == 0xFA && buf[2] == 0xAA,
	      "0xFF reset: (byte already in the buffer) then 0xFA 0xAA");
	outb(0x60, 0xF4);
	CHECK(drain(buf, 8) == 1 && buf[0] == 0xFA, "0xF4 enable: 0xFA");
	outb(0x60, 0xF5);
	CHECK(drain(buf, 8) == 1 && buf[0] == 0xFA, "0xF5 disable: 0xFA");
	i8042_push_scancode(&kbc, 0x1E);
	CHECK(!obf(), "after 0xF5 the keyboard does not scan");
	outb(0x60, 0xF4);
	drain(buf, 8);
	outb(0x60, 0xED);
	outb(0x60, 0x07);
	CHECK(drain(buf, 8) == 2 && buf[0] == 0xFA && buf[1] == 0xFA && kbc.leds == 7,
	      "0xED + LED byte: 0xFA each");
	outb(0x60, 0xF0);
	outb(0x60, 0x00);
	CHECK(drain(buf, 8) == 3 && buf[0] == 0xFA && buf[1] == 0xFA && buf[2] == 0x41,
	      "0xF0 0x00 get set: 0xFA per byte, then set 2 as translated (0x41)");
	outb(0x60, 0xF0);
	outb(0x60, 0x01);
	outb(0x60, 0xF0);
	outb(0x60, 0x00);
	CHECK(drain(buf, 8) == 5 && buf[4] == 0x43, "0xF0 0x01 sets set 1; get reads 0x43 translated");
	outb(0x60, 0xF2);
	CHECK(drain(buf, 8) == 3 && buf[0] == 0xFA && buf[1] == 0xAB && buf[2] == 0x41,
	      "0xF2 identify: 0xFA 0xAB 0x41 (0x83 as translated)");
	outb(0x64, 0x60);
	outb(0x60, 0x05);	/* translation off */
	outb(0x60, 0xF2);
	CHECK(drain(buf, 8) == 3 && buf[0] == 0xFA && buf[1] == 0xAB && buf[2] == 0x83,
	      "0xF2 identify without translation: 0xFA 0xAB 0x83");
	outb(0x60, 0xF0);
	outb(0x60, 0x00);
	CHECK(drain(buf, 8) == 3 && buf[2] == 0x01, "get set without translation: 1");
	outb(0x60, 0x42);
	CHECK(drain(buf, 8) == 1 && buf[0] == 0xFE, "an unknown keyboard command gets 0xFE");
	outb(0x60, 0xEE);
	CHECK(drain(buf, 8) == 1 && buf[0] == 0xEE, "0xEE echo");
}

static void test_irq(void)
{
	reset();
	CHECK(!i8042_irq_pending(&kbc) && irq_rises == 0, "no IRQ1 while the buffer is empty");
	i8042_push_scancode(&kbc, 0x1E);
	i8042_push_scancode(&kbc, 0x9E);
	CHECK(i8042_irq_pending(&kbc) && irq_rises == 1, "OBF with command byte bit 0: IRQ1");
	inb(0x60);
	CHECK(i8042_irq_pending(&kbc) && irq_rises == 2,
	      "reading one byte with another queued gives a fresh IRQ1 edge");
	inb(0x60);
	CHECK(!i8042_irq_pending(&kbc) && !irq_level, "IRQ1 drops with the last byte");
	outb(0x64, 0x60);
	outb(0x60, 0x44);	/* interrupts off */
	i8042_push_scancode(&kbc, 0x1E);
	CHECK(obf() && !i8042_irq_pending(&kbc), "command byte bit 0 clear: OBF without IRQ1");
	outb(0x64, 0x60);
	outb(0x60, 0x45);
	CHECK(i8042_irq_pending(&kbc), "setting bit 0 with OBF pending raises IRQ1");
}

static void test_glue(void)
{
	struct port_device d = i8042_data_dev(&kbc), c = i8042_cmd_dev(&kbc);

	CHECK(d.base == 0x60 && d.count == 1 && c.base == 0x64 && c.count == 1 &&
	      d.state == &kbc && c.read && d.write, "port_device glue: 0x60/1 and 0x64/1");
}

int main(void)
{
	test_controller_commands();
	test_command_byte();
	test_status();
	test_sweb_sequence();
	test_disabled_holds();
	test_fifo();
	test_keyboard_commands();
	test_irq();
	test_glue();
	return check_done();
}
