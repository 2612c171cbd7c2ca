/*
 * Virtual 8254 PIT. Section names are from the Intel 8254 datasheet (231164-005). Time is
 * counted in CLK ticks; each counter remembers the tick its count started at, so its value,
 * its OUT level and its next edge are computed, never stepped.
 */
#include "types.h"
#include "portbus.h"
#include "pit.h"

#define NS_PER_S 1000000000ULL
#define CTRL_PORT (PIT_BASE + 3)
#define READ_BACK 3		/* SC1 SC0 = 11 */
#define RW_LATCH 0		/* RW1 RW0 = 00: counter latch command */
#define RB_NO_COUNT 0x20	/* read-back: COUNT# and STATUS# are active low */
#define RB_NO_STATUS 0x10
#define PORT_B_GATE2 0x01
#define PORT_B_WRITABLE 0x0F	/* gate 2, speaker data, parity/channel check enables */
#define PORT_B_REFRESH 0x10
#define PORT_B_OUT2 0x20

static bool periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* The tick of the single rising edge of modes 0/1 (OUT goes high at terminal count) and
 * 4/5 (OUT is low for one clock at terminal count). */
static u64 oneshot_edge(const struct pit_channel *c)
{
	return c->start + c->reload + (c->mode >= 4);
}

/* Rising edges at start + k * reload (k >= 1) up to and including tick x. */
static u64 periods_by(const struct pit_channel *c, u64 x)
{
	return x > c->start ? (x - c->start) / c->reload : 0;
}

static u64 edges_in(const struct pit_channel *c, u64 from, u64 to)
{
	if (!c->counting || to <= from)
		return 0;
	if (periodic(c))
		return periods_by(c, to) - periods_by(c, from);
	return oneshot_edge(c) > from && oneshot_edge(c) <= to;
}

/* Modes 2/3 load a count written while counting at the end of the current cycle. */
static void apply_pending(struct pit_channel *c, u64 now)
{
	if (c->has_pending && now >= c->pending_at) {
		c->start = c->pending_at;
		c->reload = c->pending;
		c->has_pending = false;
	}
}

static bool out_level(const struct pit_channel *c, u64 now)
{
	u64 e = now - c->start, phase = c->counting ? e % c->reload : 0;

	if (!c->counting)
		return c->mode != 0;	/* mode 0: OUT low from the control word on */
	switch (c->mode) {
	case 0:
	case 1:
		return e >= c->reload;
	case 2:
		return phase != c->reload - 1;	/* low for the clock the count is 1 */
	case 3:
		return phase < (c->reload + 1) / 2;	/* high for the (larger) first half */
	default:
		return e != c->reload;
	}
}

static u16 to_bcd(u32 v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

/* The counting element's value now, as the guest reads it (65536 or 10000 read as 0). */
static u16 current_count(const struct pit_channel *c, u64 now)
{
	u32 n = c->reload, wrap = c->bcd ? 10000 : 65536, v;
	u64 e = now - c->start;

	if (!c->counting)
		v = n;
	else if (c->mode == 2)
		v = n - e % n;
	else if (c->mode == 3)	/* counts down by two, twice per period */
		v = (n - 2 * (e % n % ((n + 1) / 2))) & ~1u;
	else			/* 0, 1, 4, 5: past terminal count it wraps and keeps going */
		v = (n + wrap - e % wrap) % wrap;
	v %= wrap;
	return c->bcd ? to_bcd(v) : v;
}

static u32 decode_count(const struct pit_channel *c, u16 raw)
{
	u32 n = raw;

	if (c->bcd)
		n = (raw & 0xF) + (raw >> 4 & 0xF) * 10 + (raw >> 8 & 0xF) * 100 +
		    (raw >> 12) * 1000;
	if (n == 0)		/* "the maximum count": 2^16 binary, 10^4 BCD */
		n = c->bcd ? 10000 : 65536;
	if (n == 1 && periodic(c))	/* a count of 1 is illegal in modes 2 and 3 */
		n = 2;
	return n;
}

static void load_count(struct pit_channel *c, u16 raw, u64 now)
{
	u32 n = decode_count(c, raw);

	c->null_count = false;
	if (periodic(c) && c->counting) {
		c->pending = n;
		c->has_pending = true;
		c->pending_at = c->start + ((now - c->start) / c->reload + 1) * c->reload;
		return;
	}
	c->loaded = true;
	c->reload = n;
	c->start = now;
	c->has_pending = false;
	/* Modes 1 and 5 wait for a gate trigger; the others count while the gate is high. */
	c->counting = c->gate && c->mode != 1 && c->mode != 5;
}

static void write_control(struct pit *t, u8 val)
{
	struct pit_channel *c = &t->ch[val >> 6];

	if ((val & 0x30) >> 4 == RW_LATCH) {
		/* "Counter Latch Command": a second latch before the read is ignored. */
		if (!c->count_latched) {
			c->latch = current_count(c, t->ticks);
			c->count_latched = true;
		}
		return;
	}
	/* "Write Operations": a control word resets the counter's logic; OUT takes the
	 * mode's initial level and nothing counts until a count is written. */
	c->ctrl = val & 0x3F;
	c->rw = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;
	c->bcd = val & 1;
	c->loaded = c->counting = c->has_pending = false;
	c->write_hi = c->read_hi = false;
	c->count_latched = c->status_latched = false;
	c->null_count = true;
}

static void read_back(struct pit *t, u8 val)
{
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &t->ch[i];

		if (!(val & BIT(i + 1)))
			continue;
		if (!(val & RB_NO_COUNT) && !c->count_latched) {
			c->latch = current_count(c, t->ticks);
			c->count_latched = true;
		}
		if (!(val & RB_NO_STATUS) && !c->status_latched) {
			c->status = out_level(c, t->ticks) << 7 | c->null_count << 6 | c->ctrl;
			c->status_latched = true;
		}
	}
}

static void write_counter(struct pit *t, struct pit_channel *c, u8 val)
{
	if (c->rw == 1) {
		load_count(c, val, t->ticks);
	} else if (c->rw == 2) {
		load_count(c, val << 8, t->ticks);
	} else if (!c->write_hi) {
		c->write_lo = val;
		c->write_hi = true;
		if (c->mode == 0)	/* mode 0: "writing the first byte disables counting" */
			c->counting = false;
	} else {
		c->write_hi = false;
		load_count(c, c->write_lo | val << 8, t->ticks);
	}
}

static u8 read_counter(struct pit *t, struct pit_channel *c)
{
	u16 v;
	bool last = c->rw != 3 || c->read_hi;
	u8 byte;

	/* "Read-Back Command": a latched status is read first, then a latched count. */
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->count_latched ? c->latch : current_count(c, t->ticks);
	byte = (c->rw == 2 || (c->rw == 3 && c->read_hi)) ? v >> 8 : v & 0xFF;
	if (c->rw == 3)
		c->read_hi = !c->read_hi;
	if (last)
		c->count_latched = false;
	return byte;
}

/* Counter 2's gate is port B bit 0: a rising edge restarts the count (the trigger of modes
 * 1 and 5, the reload of 2 and 3; for 0 and 4, which would resume, restarting is close
 * enough), low stops counting. */
static void set_gate2(struct pit *t, bool level)
{
	struct pit_channel *c = &t->ch[2];

	if (level && !c->gate && c->loaded) {
		apply_pending(c, ~0ULL);
		c->start = t->ticks;
		c->counting = true;
	} else if (!level) {
		c->counting = false;
	}
	c->gate = level;
}

void pit_init(struct pit *t)
{
	for (size_t i = 0; i < sizeof(*t); i++)
		((u8 *)t)[i] = 0;
	for (int i = 0; i < 3; i++) {
		t->ch[i].reload = 65536;
		t->ch[i].gate = i != 2;		/* gates 0 and 1 are tied high on PCs */
	}
}

u32 pit_advance(struct pit *t, u64 ns)
{
	struct pit_channel *c0 = &t->ch[0];
	u64 edges = 0;

	while (ns) {
		/* ns * PIT_HZ must fit in 64 bits: step at most 1000 s at a time. */
		u64 step = ns < 1000 * NS_PER_S ? ns : 1000 * NS_PER_S;
		u64 acc = t->frac + step * PIT_HZ, from = t->ticks;

		ns -= step;
		t->ticks += acc / NS_PER_S;
		t->frac = acc % NS_PER_S;
		if (c0->has_pending && t->ticks >= c0->pending_at) {
			edges += edges_in(c0, from, c0->pending_at);
			from = c0->pending_at;
			apply_pending(c0, from);
		}
		edges += edges_in(c0, from, t->ticks);
		for (int i = 1; i < 3; i++)
			apply_pending(&t->ch[i], t->ticks);
	}
	return edges > 0xFFFFFFFFULL ? 0xFFFFFFFFU : (u32)edges;
}

u64 pit_next_event_ns(struct pit *t)
{
	const struct pit_channel *c = &t->ch[0];
	u64 next;

	if (!c->counting)
		return PIT_NO_EVENT;
	if (periodic(c))
		next = c->start + (periods_by(c, t->ticks) + 1) * c->reload;
	else if (oneshot_edge(c) > t->ticks)
		next = oneshot_edge(c);
	else
		return PIT_NO_EVENT;
	/* Round up, so that advancing by the result reaches the edge. */
	return ((next - t->ticks) * NS_PER_S - t->frac + PIT_HZ - 1) / PIT_HZ;
}

static u8 read_port_b(struct pit *t)
{
	/* Bit 4 follows refresh requests every 15 us; flipping it on each read lets a guest's
	 * busy-wait on it make progress even when emulated time has not moved. */
	t->refresh = !t->refresh;
	return t->port_b | (t->refresh ? PORT_B_REFRESH : 0) |
	       (out_level(&t->ch[2], t->ticks) ? PORT_B_OUT2 : 0);
}

static u8 read_byte(struct pit *t, u16 port)
{
	if (port == PIT_PORT_B)
		return read_port_b(t);
	if (port == CTRL_PORT)
		return 0xFF;	/* the control word register cannot be read */
	return read_counter(t, &t->ch[port - PIT_BASE]);
}

static void write_byte(struct pit *t, u16 port, u8 val)
{
	if (port == PIT_PORT_B) {
		t->port_b = val & PORT_B_WRITABLE;
		set_gate2(t, val & PORT_B_GATE2);
	} else if (port == CTRL_PORT) {
		if (val >> 6 == READ_BACK)
			read_back(t, val);
		else
			write_control(t, val);
	} else {
		write_counter(t, &t->ch[port - PIT_BASE], val);
	}
}

static bool is_pit_port(u16 port)
{
	return (port >= PIT_BASE && port <= CTRL_PORT) || port == PIT_PORT_B;
}

/* An 8-bit device: the bus splits wider accesses (core/portbus.c). */
u32 pit_port_read(void *state, u16 port, u8 size)
{
	(void)size;
	return is_pit_port(port) ? read_byte(state, port) : 0xFF;
}

void pit_port_write(void *state, u16 port, u8 size, u32 value)
{
	(void)size;
	if (is_pit_port(port))
		write_byte(state, port, value);
}

struct port_device pit_dev(struct pit *t)
{
	return (struct port_device){
		.name = "pit", .base = PIT_BASE, .count = 4, .eight_bit = true, .state = t,
		.read = pit_port_read, .write = pit_port_write,
	};
}

struct port_device pit_port_b_dev(struct pit *t)
{
	return (struct port_device){
		.name = "port-b", .base = PIT_PORT_B, .count = 1, .eight_bit = true, .state = t,
		.read = pit_port_read, .write = pit_port_write,
	};
}
