/* Host unit tests for the 16550 UART model (devices/serial.c). */
#include <string.h>

#include "types.h"
#include "serial.h"
#include "check.h"

#define RBR 0x3F8
#define IER 0x3F9
#define IIR 0x3FA
#define LCR 0x3FB
#define MCR 0x3FC
#define LSR 0x3FD
#define MSR 0x3FE
#define SCR 0x3FF

static struct serial uart;
static u8 sent[128];
static int nsent, tx_ctx_ok;
static int irq_level, irq_calls, irq_edges;

static void tx(void *ctx, u8 byte)
{
	tx_ctx_ok += ctx == &nsent;
	sent[nsent++ % sizeof(sent)] = byte;
}

static void irq(void *ctx, int line, int level)
{
	(void)ctx;
	(void)line;
	irq_calls++;
	if (level && !irq_level)
		irq_edges++;
	irq_level = level;
}

static void setup(bool with_irq)
{
	serial_init(&uart, 0x3F8, tx, &nsent);
	if (with_irq)
		serial_set_irq(&uart, (struct irq_line){ irq, NULL, 4 });
	nsent = tx_ctx_ok = irq_level = irq_calls = irq_edges = 0;
}

static u8 inb(u16 port) { return serial_read(&uart, port, 1); }
static void outb(u16 port, u8 v) { serial_write(&uart, port, 1, v); }

static void test_reset_state(void)
{
	setup(false);
	CHECK(inb(LSR) == 0x60, "reset: LSR 0x60 (THRE and TEMT, no data)");
	CHECK(inb(IIR) == 0x01, "reset: IIR 0x01 (no interrupt, FIFO off)");
	CHECK(inb(IER) == 0 && inb(LCR) == 0 && inb(MCR) == 0 && inb(SCR) == 0,
	      "reset: IER, LCR, MCR, SCR read 0");
	CHECK(inb(MSR) == 0xB0, "reset: MSR 0xB0 (CTS, DSR, DCD)");
	CHECK(inb(RBR) == 0, "reset: RBR with nothing received reads 0");
}

static void test_transmit(void)
{
	setup(false);
	outb(RBR, 'H');
	outb(RBR, 'i');
	outb(RBR, 0x00);
	CHECK(nsent == 3 && sent[0] == 'H' && sent[1] == 'i' && sent[2] == 0x00,
	      "THR: each byte goes to tx() in order, 0x00 too");
	CHECK(tx_ctx_ok == 3, "THR: tx() gets its ctx");
	CHECK(inb(LSR) == 0x60, "THR: the line is never busy (LSR 0x60 after sending)");
	serial_write(&uart, LSR, 1, 0x00);
	serial_write(&uart, MSR, 1, 0x00);
	CHECK(inb(LSR) == 0x60 && inb(MSR) == 0xB0 && nsent == 3, "LSR and MSR ignore writes");
}

static void test_dlab(void)
{
	setup(false);
	outb(IER, 0x05);
	outb(LCR, 0x83);
	outb(RBR, 0x01);
	outb(IER, 0x02);
	CHECK(nsent == 0, "DLAB: writing DLL sends nothing");
	CHECK(inb(RBR) == 0x01 && inb(IER) == 0x02, "DLAB: DLL 0x01 and DLM 0x02 read back");
	outb(LCR, 0x03);
	CHECK(inb(LCR) == 0x03, "LCR 0x03 reads back");
	CHECK(inb(IER) == 0x05, "DLAB off: IER kept its 0x05 apart from DLM");
	outb(RBR, 'x');
	CHECK(nsent == 1 && sent[0] == 'x', "DLAB off: THR sends again");
	outb(IER, 0xFF);
	CHECK(inb(IER) == 0x0F, "IER keeps its low four bits (0xFF reads 0x0F)");
	outb(MCR, 0xFF);
	CHECK(inb(MCR) == 0x1F, "MCR keeps its low five bits (0xFF reads 0x1F)");
	outb(SCR, 0xA5);
	CHECK(inb(SCR) == 0xA5, "SCR 0xA5 reads back");
}

static void test_receive(void)
{
	setup(false);
	serial_receive(&uart, 'a');
	CHECK(inb(LSR) == 0x61, "one byte received: LSR DR (0x61)");
	CHECK(inb(RBR) == 'a', "RBR gives the byte");
	CHECK(inb(LSR) == 0x60, "after reading it: DR clear");
	serial_receive(&uart, '1');
	serial_receive(&uart, '2');
	serial_receive(&uart, '3');
	CHECK(inb(RBR) == '1' && inb(RBR) == '2' && inb(RBR) == '3', "three bytes come out in order");

	setup(false);
	for (int i = 0; i < SERIAL_RX_FIFO + 1; i++)
		serial_receive(&uart, (u8)i);
	CHECK(inb(LSR) == 0x63, "65 bytes into the 64-byte FIFO: LSR OE and DR (0x63)");
	CHECK(inb(LSR) == 0x61, "reading LSR clears OE");
	bool in_order = true;

	for (int i = 0; i < SERIAL_RX_FIFO; i++)
		in_order &= inb(RBR) == (u8)i;
	CHECK(in_order, "the first 64 bytes come out in order");
	CHECK(inb(LSR) == 0x60 && inb(RBR) == 0, "the 65th byte was dropped");

	serial_receive(&uart, 'q');
	serial_receive(&uart, 'r');
	outb(IIR, 0x03);
	CHECK(inb(LSR) == 0x60 && inb(RBR) == 0, "FCR bit 1 clears the receive FIFO");
	serial_receive(&uart, 's');
	CHECK(inb(RBR) == 's', "after a clear, the next byte is received");
}

static void test_interrupts(void)
{
	setup(true);
	serial_receive(&uart, 'a');
	CHECK(irq_calls == 0 && inb(IIR) == 0x01, "IER 0: a received byte raises nothing");
	outb(IER, 0x01);
	CHECK(irq_level == 1 && inb(IIR) == 0x04, "IER RDA with data waiting: IRQ up, IIR 0x04");
	CHECK(inb(IIR) == 0x04 && irq_level == 1, "reading IIR does not clear RDA");
	inb(RBR);
	CHECK(irq_level == 0 && inb(IIR) == 0x01, "RBR drained: IRQ down, IIR 0x01");

	irq_edges = irq_calls = 0;
	serial_receive(&uart, 'b');
	serial_receive(&uart, 'c');
	CHECK(irq_edges == 1 && irq_calls == 1, "two bytes: one rising edge, one call for it");
	inb(RBR);
	CHECK(irq_level == 1 && irq_edges == 2, "one of two read: the line drops and rises again");
	inb(RBR);
	CHECK(irq_level == 0, "both read: the line is low");

	setup(true);
	outb(MCR, 0x00);
	outb(IER, 0x01);
	serial_receive(&uart, 'x');
	CHECK(irq_level == 1, "MCR OUT2 clear does not gate the line (CONTRACT.md 7)");

	setup(true);
	outb(IER, 0x02);
	CHECK(irq_level == 1, "enabling THRE with THR empty raises the line");
	CHECK(inb(IIR) == 0x02, "IIR 0x02: THR empty");
	CHECK(irq_level == 0 && inb(IIR) == 0x01, "reading IIR cleared the THRE source");
	outb(RBR, 'z');
	CHECK(irq_level == 1 && inb(IIR) == 0x02, "a THR write raises THRE again");
	outb(RBR, 'z');
	outb(IER, 0x03);
	serial_receive(&uart, 'y');
	CHECK(inb(IIR) == 0x04, "RDA and THRE both pending: IIR reports RDA first");
	inb(RBR);
	CHECK(inb(IIR) == 0x02, "RDA cleared: then THRE");
	CHECK(inb(IIR) == 0x01 && irq_level == 0, "THRE reported once: nothing pending");
	outb(RBR, 'z');
	outb(IER, 0x00);
	CHECK(irq_level == 0 && inb(IIR) == 0x01, "IER 0 drops a pending THRE");

	setup(false);
	outb(IER, 0x03);
	serial_receive(&uart, 'n');
	CHECK(inb(IIR) == 0x04 && inb(RBR) == 'n', "no IRQ connected: IIR and RBR work the same");
}

static void test_fifo_and_loopback(void)
{
	setup(false);
	outb(IIR, 0x01);
	CHECK(inb(IIR) == 0xC1, "FCR FIFO enable: IIR reads 0xC1");
	outb(IIR, 0x00);
	CHECK(inb(IIR) == 0x01, "FCR 0: IIR reads 0x01");

	setup(false);
	outb(MCR, 0x10);
	outb(RBR, 'L');
	CHECK(nsent == 0, "loopback: a THR byte does not reach tx()");
	CHECK(inb(LSR) == 0x61 && inb(RBR) == 'L', "loopback: the byte comes back on RBR");
	outb(MCR, 0x00);
	outb(RBR, 'M');
	CHECK(nsent == 1 && sent[0] == 'M', "loopback off: THR reaches tx() again");

	/* PC16550D 8.7 (MCR bit 4), 8.8: in loopback MSR bits 4-7 are RTS, DTR, OUT1, OUT2. */
	setup(false);
	outb(MCR, 0x1A);
	CHECK((inb(MSR) & 0xF0) == 0x90, "loopback MCR 0x1A (Linux's 8250 probe): MSR & 0xF0 is 0x90");
	outb(MCR, 0x10);
	CHECK((inb(MSR) & 0xF0) == 0x00, "loopback, all outputs off: CTS, DSR, RI, DCD clear");
	outb(MCR, 0x12);
	CHECK((inb(MSR) & 0xF0) == 0x10, "loopback RTS: CTS (MSR bit 4)");
	outb(MCR, 0x11);
	CHECK((inb(MSR) & 0xF0) == 0x20, "loopback DTR: DSR (MSR bit 5)");
	outb(MCR, 0x14);
	CHECK((inb(MSR) & 0xF0) == 0x40, "loopback OUT1: RI (MSR bit 6)");
	outb(MCR, 0x18);
	CHECK((inb(MSR) & 0xF0) == 0x80, "loopback OUT2: DCD (MSR bit 7)");
	outb(MCR, 0x1F);
	CHECK((inb(MSR) & 0xF0) == 0xF0, "loopback, all outputs on: all four inputs set");
	outb(MCR, 0x0F);
	CHECK(inb(MSR) == 0xB0, "loopback off again: MSR 0xB0, the MCR outputs no longer routed");
}

static void test_other_base(void)
{
	setup(false);
	/* Wider accesses: the bus splits them (tests/test_portbus.c). */
	serial_init(&uart, 0x2F8, tx, &nsent);
	nsent = 0;
	serial_write(&uart, 0x2F8, 1, 'B');
	serial_write(&uart, 0x2FF, 1, 0x77);
	CHECK(nsent == 1 && sent[0] == 'B' && serial_read(&uart, 0x2FF, 1) == 0x77,
	      "a UART at 0x2F8 decodes its own base");
	CHECK(serial_read(&uart, 0x2FD, 1) == 0x60, "a UART at 0x2F8: LSR at 0x2FD");
}

int main(void)
{
	test_reset_state();
	test_transmit();
	test_dlab();
	test_receive();
	test_interrupts();
	test_fifo_and_loopback();
	test_other_base();
	return check_done();
}
