/*
 * The guest's COM1: a 16550 UART model (National Semiconductor PC16550D datasheet).
 * Milestone 2: transmit only, always ready; every byte written to THR goes to tx().
 */
#ifndef DEVICES_SERIAL_H
#define DEVICES_SERIAL_H

#include "types.h"

#define SERIAL_PORTS 8

struct serial {
	u16 base;
	u8 ier, lcr, mcr, dll, dlm, scr, fcr;
	void (*tx)(void *ctx, u8 byte);
	void *ctx;
};

void serial_init(struct serial *s, u16 base, void (*tx)(void *ctx, u8 byte), void *ctx);
u32 serial_read(void *state, u16 port, u8 size);
void serial_write(void *state, u16 port, u8 size, u32 value);

#endif
