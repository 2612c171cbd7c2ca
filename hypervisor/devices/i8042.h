/*
 * Virtual i8042 keyboard controller with a PS/2 keyboard behind it, after QEMU's pckbd.c
 * and ps2.c. Ports 0x60 (data) and 0x64 (status / command). Conventions are the IBM PC/AT
 * and PS/2 Technical References' (as summarised on osdev.org "8042 PS/2 Controller" and
 * "PS/2 Keyboard"). No mouse: AUX commands are accepted and ignored.
 *
 * IRQ1 is a level, OBF AND command byte bit 0, as on the board. The model reports it
 * through irq_cb whenever it may have changed (reading 0x60 while more bytes wait drops and
 * re-raises it, so an edge-triggered PIC sees a new edge); i8042_irq_pending() reads it.
 */
#ifndef I8042_H
#define I8042_H

#include "types.h"
#include "irqline.h"
#include "portbus.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_QUEUE 32		/* scancodes the keyboard buffers (a real one holds 16) */
#define I8042_REPLY_QUEUE 8	/* replies to controller and keyboard commands */

#define I8042_STR_OBF 0x01
#define I8042_STR_IBF 0x02
#define I8042_STR_SYS 0x04
#define I8042_STR_A2 0x08	/* last write was a command (0x64) */
#define I8042_STR_INH 0x10	/* set: keyboard not inhibited by the key lock */
#define I8042_STR_AUXOBF 0x20

#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40

struct i8042_fifo {
	u8 head, count;
};

struct i8042 {
	u8 ctr;			/* the controller command byte */
	u8 out_port;		/* 0xD1/0xD0: A20 and reset lines; stored, not acted on */
	u8 obuf;		/* the output buffer the guest reads at 0x60 */
	bool obf;
	bool last_was_cmd;	/* status A2 */
	u8 pending_cmd;		/* controller command waiting for its data byte, or 0 */
	u8 kbd_pending_cmd;	/* keyboard command waiting for its data byte, or 0 */
	bool scanning;		/* keyboard enabled (0xF4) or disabled (0xF5) */
	u8 scancode_set;
	u8 leds;
	bool reset_requested;	/* 0xFE pulsed the CPU reset line; the core clears it */
	bool irq_level;
	struct i8042_fifo replies, keys;
	u8 reply_buf[I8042_REPLY_QUEUE];
	u8 key_buf[I8042_QUEUE];
	struct irq_line irq;
};

/* irq is told the IRQ1 level each time the model re-evaluates it. */
void i8042_init(struct i8042 *k, struct irq_line irq);
/* A byte from the real keyboard, already translated to set 1. Dropped if the queue is full. */
void i8042_push_scancode(struct i8042 *k, u8 code);
bool i8042_irq_pending(struct i8042 *k);

u32 i8042_port_read(void *state, u16 port, u8 size);
void i8042_port_write(void *state, u16 port, u8 size, u32 value);
struct port_device i8042_data_dev(struct i8042 *k);	/* 0x60 */
struct port_device i8042_cmd_dev(struct i8042 *k);	/* 0x64 */

#endif
