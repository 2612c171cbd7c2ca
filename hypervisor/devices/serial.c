/*
 * A 16550 UART (PC16550D datasheet, table II "Summary of registers", table IV "Interrupt
 * Control Functions"). The line is never busy: LSR always reports THRE and TEMT, and each
 * byte written to THR goes straight to tx(). Received bytes wait in a FIFO until RBR reads
 * them; the FIFO trigger level is one byte.
 */
#include "serial.h"

#define REG_RBR_THR_DLL 0
#define REG_IER_DLM 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define LCR_DLAB 0x80
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IIR_NO_INTERRUPT 0x01
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_FIFO_ENABLED 0xc0
#define FCR_FIFO_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_CTS_DSR_DCD (MSR_CTS | MSR_DSR | MSR_DCD) /* a terminal is attached and ready */

void serial_init(struct serial *s, u16 base, void (*tx)(void *ctx, u8 byte), void *ctx)
{
	*s = (struct serial){ .base = base, .tx = tx, .ctx = ctx };
}

void serial_set_irq(struct serial *s, struct irq_line irq)
{
	s->irq = irq;
}

/* Table IV: the highest-priority pending interrupt we model (no line-status or modem). */
static u8 pending_iir(const struct serial *s)
{
	if ((s->ier & IER_RDA) && s->rx_count)
		return IIR_RDA;
	if ((s->ier & IER_THRE) && s->thre_pending)
		return IIR_THRE;
	return IIR_NO_INTERRUPT;
}

static void update_irq(struct serial *s)
{
	bool level = pending_iir(s) != IIR_NO_INTERRUPT;

	/* Report every change, and a new request as a fresh edge for an edge-mode PIC. */
	if (level != s->irq_level)
		irq_line_set(&s->irq, level);
	s->irq_level = level;
}

void serial_receive(struct serial *s, u8 byte)
{
	if (s->rx_count == SERIAL_RX_FIFO) {
		s->overrun = true;
		return;
	}
	s->rx[(s->rx_head + s->rx_count++) % SERIAL_RX_FIFO] = byte;
	update_irq(s);
}

static u8 rx_pop(struct serial *s)
{
	u8 b;

	if (!s->rx_count)
		return 0;
	b = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
	s->rx_count--;
	return b;
}

static u8 read_reg(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	u8 v;

	switch (reg) {
	case REG_RBR_THR_DLL:
		if (dlab)
			return s->dll;
		v = rx_pop(s);
		/* More bytes waiting: drop and raise the line again so an edge PIC sees one. */
		if (s->rx_count && s->irq_level && s->irq.set) {
			irq_line_set(&s->irq, 0);
			s->irq_level = false;
		}
		update_irq(s);
		return v;
	case REG_IER_DLM:
		return dlab ? s->dlm : s->ier;
	case REG_IIR_FCR:
		v = pending_iir(s);
		if (v == IIR_THRE) { /* reading IIR clears a THRE source it reports */
			s->thre_pending = false;
			update_irq(s);
		}
		return v | ((s->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO_ENABLED : 0);
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0) | (s->overrun ? LSR_OE : 0);
		s->overrun = false;
		return v;
	case REG_MSR:
		if (!(s->mcr & MCR_LOOP))
			return MSR_CTS_DSR_DCD;
		/* 8.7 MCR bit 4, 8.8 MSR bits 4-7: loopback routes RTS, DTR, OUT1, OUT2 back. */
		return ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
		       ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
	default:
		return s->scr;
	}
}

static void write_reg(struct serial *s, unsigned reg, u8 v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR_DLL:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (s->mcr & MCR_LOOP)
			serial_receive(s, v); /* loopback: the byte comes straight back */
		else
			s->tx(s->ctx, v);
		s->thre_pending = true; /* sent at once: THR is empty again */
		break;
	case REG_IER_DLM:
		if (dlab) {
			s->dlm = v;
			break;
		}
		if ((v & IER_THRE) && !(s->ier & IER_THRE))
			s->thre_pending = true; /* enabling it with THR empty interrupts */
		s->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
		if (v & FCR_CLEAR_RX)
			s->rx_count = 0;
		s->fcr = v & ~0x06; /* the clear bits are self-clearing */
		break;
	case REG_LCR:
		s->lcr = v;
		break;
	case REG_MCR:
		s->mcr = v & 0x1f;
		break;
	case REG_SCR:
		s->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
	update_irq(s);
}

/* An 8-bit device: the bus splits wider accesses (core/portbus.c). */
u32 serial_read(void *state, u16 port, u8 size)
{
	struct serial *s = state;

	(void)size;
	return read_reg(s, (port - s->base) & 7);
}

void serial_write(void *state, u16 port, u8 size, u32 value)
{
	struct serial *s = state;

	(void)size;
	write_reg(s, (port - s->base) & 7, value);
}

struct port_device serial_dev(struct serial *s)
{
	return (struct port_device){
		.name = "serial", .base = s->base, .count = SERIAL_PORTS, .eight_bit = true,
		.state = s, .read = serial_read, .write = serial_write,
	};
}
