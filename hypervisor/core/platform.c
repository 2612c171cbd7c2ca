/*
 * The guest's platform: which device models stand at which ports, and how they
 * reach the real machine. The guest console (its COM1 and port 0xE9) goes to the
 * real COM1, byte for byte (CONTRACT.md 3), and what the real COM1 receives comes back
 * into the guest's receive buffer, with IRQ 4 (CONTRACT.md 7); the VGA cursor registers go
 * to the real CRTC so that the real cursor follows the guest's. The interrupt controllers,
 * the PIT and the i8042 are core/irq.c's.
 */
#include "../devices/debugcon.h"
#include "../devices/serial.h"
#include "../devices/testdev.h"
#include "../devices/vga.h"
#include "disk.h"
#include "irq.h"
#include "log.h"
#include "portbus.h"
#include "run_end.h"
#include "uart.h"
#include "vm.h"
#include "x86.h"

#define GUEST_COM1 0x3f8
#define DEBUGCON_PORT 0xe9
#define TESTDEV_PORT 0xe0
#define VGA_CRTC_PORT 0x3d4
#define POST_CODE_PORT 0x80 /* BIOS POST codes; guests write it as an I/O delay */
#define COM1_IRQ 4

static struct serial com1;
static struct debugcon debugcon;
static struct testdev testdev;
static struct vga_crtc crtc;

static void console_tx(void *ctx, u8 byte)
{
	(void)ctx;
	uart_putc(COM1_PORT, byte);
}

static void real_crtc_write(void *ctx, u8 index, u8 value)
{
	(void)ctx;
	outb(VGA_CRTC_PORT, index);
	outb(VGA_CRTC_PORT + 1, value);
}

static void com1_irq(void *ctx, int level)
{
	(void)ctx;
	irq_set_line(COM1_IRQ, level);
}

/* Bytes the real COM1 receives (CONTRACT.md 7) reach the guest's COM1. */
static void console_rx(u8 byte)
{
	serial_receive(&com1, byte);
}

static u32 ignore_read(void *state, u16 port, u8 size)
{
	(void)state;
	(void)port;
	return size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
}

static void ignore_write(void *state, u16 port, u8 size, u32 value)
{
	(void)state;
	(void)port;
	(void)size;
	(void)value;
}

static struct port_device port_devices[] = {
	{ .name = "com1", .base = GUEST_COM1, .count = SERIAL_PORTS, .state = &com1,
	  .read = serial_read, .write = serial_write },
	{ .name = "debugcon", .base = DEBUGCON_PORT, .count = 1, .state = &debugcon,
	  .read = debugcon_read, .write = debugcon_write },
	{ .name = "testdev", .base = TESTDEV_PORT, .count = TESTDEV_PORTS, .state = &testdev,
	  .read = testdev_read, .write = testdev_write },
	{ .name = "vga-crtc", .base = VGA_CRTC_PORT, .count = VGA_CRTC_PORTS, .state = &crtc,
	  .read = vga_crtc_read, .write = vga_crtc_write },
	{ .name = "post", .base = POST_CODE_PORT, .count = 1, .state = NULL,
	  .read = ignore_read, .write = ignore_write },
};

/* The emulated disk's interrupt line: IRQ 14 of the guest's PIC, as on a PC. */
static void ata_irq(void *ctx, int level)
{
	(void)ctx;
	irq_set_line(14, level);
}

void platform_init(struct vm *vm)
{
	serial_init(&com1, GUEST_COM1, console_tx, NULL);
	serial_set_irq(&com1, com1_irq, NULL);
	debugcon_init(&debugcon, console_tx, NULL);
	testdev_init(&testdev, TESTDEV_PORT);
	vga_crtc_init(&crtc, VGA_CRTC_PORT, real_crtc_write, NULL);
	for (unsigned i = 0; i < ARRAY_SIZE(port_devices); i++)
		if (!portbus_register(&port_devices[i]))
			panic("platform: cannot register %s at port %#x", port_devices[i].name,
			      port_devices[i].base);
	irq_platform_init(vm);
	disk_init(ata_irq, NULL);
	uart_com1_rx_init(console_rx);
}
