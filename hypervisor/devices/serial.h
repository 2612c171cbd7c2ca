/*
 * The guest's COM1: a 16550 UART model (National Semiconductor PC16550D datasheet).
 * Transmit is always ready: every byte written to THR goes to tx(). Received bytes come
 * from serial_receive() into a FIFO; the model raises its interrupt line through irq()
 * for "received data available" (IER bit 0) and "THR empty" (IER bit 1). As in QEMU's
 * model, MCR OUT2 does not gate the line.
 */
#ifndef DEVICES_SERIAL_H
#define DEVICES_SERIAL_H

#include "types.h"
#include "portbus.h"
#include "irqline.h"

#define SERIAL_PORTS 8
#define SERIAL_RX_FIFO 64

struct serial {
	u16 base;
	u8 ier, lcr, mcr, dll, dlm, scr, fcr;
	bool thre_pending;     /* a THR-empty interrupt not yet read from IIR */
	bool overrun;          /* LSR OE: a byte arrived with the FIFO full */
	bool irq_level;
	u8 rx[SERIAL_RX_FIFO];
	u8 rx_head, rx_count;
	void (*tx)(void *ctx, u8 byte);
	void *ctx;
	struct irq_line irq;
};

void serial_init(struct serial *s, u16 base, void (*tx)(void *ctx, u8 byte), void *ctx);
/* Connects the interrupt line (COM1: IRQ4). */
void serial_set_irq(struct serial *s, struct irq_line irq);
/* A byte arriving on the line. */
void serial_receive(struct serial *s, u8 byte);
u32 serial_read(void *state, u16 port, u8 size);
void serial_write(void *state, u16 port, u8 size, u32 value);
struct port_device serial_dev(struct serial *s);

#endif
