/*
 * A 16550 UART (PC16550D datasheet, table II "Summary of registers"). The line is
 * never busy: LSR always reports THRE and TEMT, and each byte written to THR goes
 * straight to tx(). No interrupts are raised and nothing is received yet.
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
#define IIR_NO_INTERRUPT 0x01
#define IIR_FIFO_ENABLED 0xc0
#define FCR_FIFO_ENABLE 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_CTS_DSR_DCD 0xb0 /* a terminal is attached and ready */

void serial_init(struct serial *s, u16 base, void (*tx)(void *ctx, u8 byte), void *ctx)
{
	*s = (struct serial){ .base = base, .tx = tx, .ctx = ctx };
}

static u8 read_reg(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR_DLL:
		return dlab ? s->dll : 0; /* nothing received (milestone 3 adds input) */
	case REG_IER_DLM:
		return dlab ? s->dlm : s->ier;
	case REG_IIR_FCR:
		return IIR_NO_INTERRUPT | ((s->fcr & FCR_FIFO_ENABLE) ? IIR_FIFO_ENABLED : 0);
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT;
	case REG_MSR:
		return (s->mcr & MCR_LOOP) ? 0 : MSR_CTS_DSR_DCD;
	default:
		return s->scr;
	}
}

static void write_reg(struct serial *s, unsigned reg, u8 v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR_DLL:
		if (dlab)
			s->dll = v;
		else if (!(s->mcr & MCR_LOOP))
			s->tx(s->ctx, v);
		break;
	case REG_IER_DLM:
		if (dlab)
			s->dlm = v;
		else
			s->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
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
}

/* A wider access touches consecutive registers, as a 16-bit bus would split it. */
u32 serial_read(void *state, u16 port, u8 size)
{
	struct serial *s = state;
	u32 v = 0;

	for (u8 i = 0; i < size; i++)
		v |= (u32)read_reg(s, (port - s->base + i) & 7) << (8 * i);
	return v;
}

void serial_write(void *state, u16 port, u8 size, u32 value)
{
	struct serial *s = state;

	for (u8 i = 0; i < size; i++)
		write_reg(s, (port - s->base + i) & 7, value >> (8 * i));
}
