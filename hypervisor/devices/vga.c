/*
 * The CRTC index/data pair. Registers 0x00-0x18 are stored and read back; other
 * indexes read as 0xFF and ignore writes. A 16-bit OUT to the index port writes the
 * index (low byte) and then the data (high byte), as on the real card.
 */
#include "vga.h"

/* Mode 3 values (80x25 text) of the registers a text guest looks at. */
static const u8 mode3_regs[VGA_CRTC_REGS] = {
	0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e,
	0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};

void vga_crtc_init(struct vga_crtc *c, u16 base, void (*cursor_write)(void *, u8, u8),
		   void *ctx)
{
	*c = (struct vga_crtc){ .base = base, .cursor_write = cursor_write, .ctx = ctx };
	for (int i = 0; i < VGA_CRTC_REGS; i++)
		c->regs[i] = mode3_regs[i];
}

static bool is_cursor_reg(u8 index)
{
	return index == CRTC_CURSOR_START || index == CRTC_CURSOR_END ||
	       index == CRTC_CURSOR_HIGH || index == CRTC_CURSOR_LOW;
}

static u8 read_port(struct vga_crtc *c, unsigned offset)
{
	if (offset == 0)
		return c->index;
	return c->index < VGA_CRTC_REGS ? c->regs[c->index] : 0xff;
}

static void write_port(struct vga_crtc *c, unsigned offset, u8 v)
{
	if (offset == 0) {
		c->index = v;
		return;
	}
	if (c->index >= VGA_CRTC_REGS)
		return;
	c->regs[c->index] = v;
	if (is_cursor_reg(c->index) && c->cursor_write)
		c->cursor_write(c->ctx, c->index, v);
}

u32 vga_crtc_read(void *state, u16 port, u8 size)
{
	struct vga_crtc *c = state;

	(void)size; /* an 8-bit device: the bus splits wider accesses (core/portbus.c) */
	return read_port(c, (port - c->base) & 1);
}

void vga_crtc_write(void *state, u16 port, u8 size, u32 value)
{
	struct vga_crtc *c = state;

	(void)size;
	write_port(c, (port - c->base) & 1, value);
}

struct port_device vga_crtc_dev(struct vga_crtc *c)
{
	return (struct port_device){
		.name = "vga-crtc", .base = c->base, .count = VGA_CRTC_PORTS, .eight_bit = true,
		.state = c, .read = vga_crtc_read, .write = vga_crtc_write,
	};
}
