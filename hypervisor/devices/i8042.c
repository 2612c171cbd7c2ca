/*
 * Virtual i8042 and PS/2 keyboard. Two queues feed the one-byte output buffer: replies to
 * commands the guest sent (never held back: a driver waits for them) and scancodes, which
 * wait while the guest has the keyboard interface disabled (0xAD), as they would wait in
 * the keyboard's own buffer with its clock line held low.
 */
#include "types.h"
#include "portbus.h"
#include "i8042.h"

/* Controller commands, written to 0x64 */
#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xA7
#define CMD_AUX_ENABLE 0xA8
#define CMD_SELF_TEST 0xAA
#define CMD_KBD_TEST 0xAB
#define CMD_KBD_DISABLE 0xAD
#define CMD_KBD_ENABLE 0xAE
#define CMD_READ_OUTPORT 0xD0
#define CMD_WRITE_OUTPORT 0xD1
#define CMD_WRITE_KBD_OBUF 0xD2
#define CMD_PULSE_RESET 0xFE	/* pulse output line 0 (CPU reset) low */

#define SELF_TEST_OK 0x55
#define KBD_TEST_OK 0x00

/* Keyboard commands and replies, written to / read from 0x60 */
#define KBD_SET_LEDS 0xED
#define KBD_ECHO 0xEE
#define KBD_SCANCODE_SET 0xF0
#define KBD_IDENTIFY 0xF2
#define KBD_TYPEMATIC 0xF3
#define KBD_ENABLE 0xF4
#define KBD_DISABLE 0xF5	/* "default disable": defaults, stop scanning */
#define KBD_DEFAULTS 0xF6
#define KBD_RESET 0xFF
#define KBD_ACK 0xFA
#define KBD_RESEND 0xFE
#define KBD_BAT_OK 0xAA
#define KBD_ID0 0xAB
#define KBD_ID1 0x83

/* The power-on command byte firmware leaves: IRQ1 on, POST passed, set-1 translation on. */
#define CTR_DEFAULT (I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE)

static bool fifo_put(struct i8042_fifo *f, u8 *buf, u8 size, u8 byte)
{
	if (f->count == size)
		return false;
	buf[(f->head + f->count++) % size] = byte;
	return true;
}

static u8 fifo_get(struct i8042_fifo *f, u8 *buf, u8 size)
{
	u8 byte = buf[f->head];

	f->head = (f->head + 1) % size;
	f->count--;
	return byte;
}

static void update_irq(struct i8042 *k)
{
	k->irq_level = k->obf && (k->ctr & I8042_CTR_KBDINT);
	irq_line_set(&k->irq, k->irq_level);
}

/* Move the next byte into an empty output buffer. */
static void refill(struct i8042 *k)
{
	if (k->obf) {
		/* already full */
	} else if (k->replies.count) {
		k->obuf = fifo_get(&k->replies, k->reply_buf, I8042_REPLY_QUEUE);
		k->obf = true;
	} else if (k->keys.count && !(k->ctr & I8042_CTR_KBDDIS)) {
		k->obuf = fifo_get(&k->keys, k->key_buf, I8042_QUEUE);
		k->obf = true;
	}
	update_irq(k);
}

static void reply(struct i8042 *k, u8 byte)
{
	fifo_put(&k->replies, k->reply_buf, I8042_REPLY_QUEUE, byte);
}

/* With translation on, the controller turns the keyboard's set-2 bytes into set 1; the
 * replies that carry set-2 codes change too (ID 0x83 -> 0x41, set numbers 1/2/3). */
static u8 translated(struct i8042 *k, u8 set2)
{
	if (!(k->ctr & I8042_CTR_XLATE))
		return set2;
	switch (set2) {
	case 0x83: return 0x41;
	case 1: return 0x43;
	case 2: return 0x41;
	case 3: return 0x3F;
	default: return set2;
	}
}

static void kbd_defaults(struct i8042 *k)
{
	k->scancode_set = 2;	/* the keyboard talks set 2; XLATE gives the guest set 1 */
	k->leds = 0;
	k->keys.count = 0;
	k->kbd_pending_cmd = 0;
}

static void kbd_data(struct i8042 *k, u8 cmd, u8 val)
{
	k->kbd_pending_cmd = 0;
	if (cmd == KBD_SET_LEDS) {
		k->leds = val & 7;
	} else if (cmd == KBD_SCANCODE_SET) {
		if (val > 3) {
			reply(k, KBD_RESEND);
			return;
		}
		reply(k, KBD_ACK);
		if (val == 0)
			reply(k, translated(k, k->scancode_set));
		else
			k->scancode_set = val;
		return;
	}
	reply(k, KBD_ACK);	/* ED and F3 data bytes */
}

static void kbd_command(struct i8042 *k, u8 val)
{
	if (k->kbd_pending_cmd) {
		kbd_data(k, k->kbd_pending_cmd, val);
		return;
	}
	switch (val) {
	case KBD_SET_LEDS:
	case KBD_SCANCODE_SET:
	case KBD_TYPEMATIC:
		k->kbd_pending_cmd = val;
		reply(k, KBD_ACK);
		break;
	case KBD_ECHO:
		reply(k, KBD_ECHO);
		break;
	case KBD_IDENTIFY:
		reply(k, KBD_ACK);
		reply(k, KBD_ID0);
		reply(k, translated(k, KBD_ID1));
		break;
	case KBD_ENABLE:
		k->scanning = true;
		reply(k, KBD_ACK);
		break;
	case KBD_DISABLE:
	case KBD_DEFAULTS:
		kbd_defaults(k);
		k->scanning = val == KBD_DEFAULTS;
		reply(k, KBD_ACK);
		break;
	case KBD_RESET:
		kbd_defaults(k);
		k->scanning = true;
		reply(k, KBD_ACK);
		reply(k, KBD_BAT_OK);	/* basic assurance test passed */
		break;
	default:
		reply(k, KBD_RESEND);
		break;
	}
}

static void write_data(struct i8042 *k, u8 val)
{
	u8 cmd = k->pending_cmd;

	k->last_was_cmd = false;
	k->pending_cmd = 0;
	if (cmd == CMD_WRITE_CTR)
		k->ctr = val;
	else if (cmd == CMD_WRITE_OUTPORT)
		k->out_port = val;	/* A20 and reset lines: not acted on */
	else if (cmd == CMD_WRITE_KBD_OBUF)
		reply(k, val);
	else if (!cmd)
		kbd_command(k, val);
	/* other data bytes (RAM writes 0x61-0x7F, AUX) are dropped */
}

static void write_command(struct i8042 *k, u8 val)
{
	k->last_was_cmd = true;
	k->pending_cmd = 0;
	switch (val) {
	case CMD_READ_CTR:
		reply(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPORT:
	case CMD_WRITE_KBD_OBUF:
		k->pending_cmd = val;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= ~I8042_CTR_AUXDIS;
		break;
	case CMD_SELF_TEST:
		reply(k, SELF_TEST_OK);
		break;
	case CMD_KBD_TEST:
		reply(k, KBD_TEST_OK);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= ~I8042_CTR_KBDDIS;
		break;
	case CMD_READ_OUTPORT:
		reply(k, k->out_port);
		break;
	case CMD_PULSE_RESET:
		k->reset_requested = true;
		break;
	default:
		break;	/* AUX, RAM reads and the rest: no mouse, nothing to say */
	}
}

static u8 read_status(struct i8042 *k)
{
	/* IBF is always clear: a write is consumed before the guest can look again. */
	return (k->obf ? I8042_STR_OBF : 0) | (k->ctr & I8042_CTR_SYS) |
	       (k->last_was_cmd ? I8042_STR_A2 : 0) | I8042_STR_INH;
}

static u8 read_data(struct i8042 *k)
{
	/* An empty buffer reads the last byte again, as the latch on the board does. */
	u8 byte = k->obuf;

	k->obf = false;
	update_irq(k);	/* IRQ1 drops here, so the next byte makes a new edge */
	refill(k);
	return byte;
}

void i8042_init(struct i8042 *k, struct irq_line irq)
{
	for (size_t i = 0; i < sizeof(*k); i++)
		((u8 *)k)[i] = 0;
	k->ctr = CTR_DEFAULT;
	k->out_port = 0x03;	/* reset line inactive (high), A20 enabled */
	k->scanning = true;
	kbd_defaults(k);
	k->irq = irq;
}

void i8042_push_scancode(struct i8042 *k, u8 code)
{
	if (!k->scanning)
		return;		/* after 0xF5 the keyboard does not scan */
	fifo_put(&k->keys, k->key_buf, I8042_QUEUE, code);
	refill(k);
}

bool i8042_irq_pending(struct i8042 *k)
{
	return k->irq_level;
}

u32 i8042_port_read(void *state, u16 port, u8 size)
{
	struct i8042 *k = state;
	u32 val;

	if (port == I8042_CMD_PORT)
		val = read_status(k);
	else if (port == I8042_DATA_PORT)
		val = read_data(k);
	else
		val = 0xFF;
	(void)size; /* 8 bits: the bus splits a wider access (core/portbus.c) */
	return val;
}

void i8042_port_write(void *state, u16 port, u8 size, u32 value)
{
	struct i8042 *k = state;

	(void)size;	/* only the low byte reaches an 8-bit port */
	if (port == I8042_CMD_PORT)
		write_command(k, value);
	else if (port == I8042_DATA_PORT)
		write_data(k, value);
	refill(k);
}

struct port_device i8042_data_dev(struct i8042 *k)
{
	return (struct port_device){
		.name = "i8042-data", .base = I8042_DATA_PORT, .count = 1, .eight_bit = true, .state = k,
		.read = i8042_port_read, .write = i8042_port_write,
	};
}

struct port_device i8042_cmd_dev(struct i8042 *k)
{
	return (struct port_device){
		.name = "i8042-cmd", .base = I8042_CMD_PORT, .count = 1, .eight_bit = true, .state = k,
		.read = i8042_port_read, .write = i8042_port_write,
	};
}
