/*
 * The VGA CRT controller's index/data pair at 0x3D4/0x3D5 (IBM VGA Technical Reference,
 * "CRT Controller Registers"). The text cells themselves are not emulated: the guest's
 * 0xB8000 window maps the real text memory (core/vm.c).
 */
#ifndef DEVICES_VGA_H
#define DEVICES_VGA_H

#include "types.h"
#include "portbus.h"

#define VGA_CRTC_PORTS 2
#define VGA_CRTC_REGS 0x19 /* registers 0x00-0x18 */

#define CRTC_CURSOR_START 0x0a
#define CRTC_CURSOR_END 0x0b
#define CRTC_CURSOR_HIGH 0x0e
#define CRTC_CURSOR_LOW 0x0f

struct vga_crtc {
	u16 base;  /* 0x3D4 */
	u8 index;
	u8 regs[VGA_CRTC_REGS];
	/* Called for each write of a cursor register, so the real cursor can follow. */
	void (*cursor_write)(void *ctx, u8 index, u8 value);
	void *ctx;
};

void vga_crtc_init(struct vga_crtc *c, u16 base, void (*cursor_write)(void *, u8, u8),
		   void *ctx);
u32 vga_crtc_read(void *state, u16 port, u8 size);
void vga_crtc_write(void *state, u16 port, u8 size, u32 value);
struct port_device vga_crtc_dev(struct vga_crtc *c);

#endif
