/*
 * The guest's platform: which device models stand at which ports, and how they reach the
 * real machine. This is the one place a VM's devices are created and put on its port bus.
 * The guest console (its COM1 and port 0xE9) goes to the real COM1, byte for byte
 * (CONTRACT.md 3), and what the real COM1 receives comes back into the guest's receive
 * buffer, with IRQ 4 (CONTRACT.md 7); the VGA cursor registers go to the real CRTC so that
 * the real cursor follows the guest's. The interrupt controllers, the PIT and the i8042
 * are set up by core/irq.c, the disk by core/disk.c.
 *
 * With several guests (CONTRACT.md 10) the console carries them all, each run of bytes
 * after a tag `ESC g D` naming its guest (a guest's own ESC doubled), and the real
 * keyboard, COM1's input and the screen belong to the guest with the focus.
 */
#include "disk.h"
#include "hostirq.h"
#include "irq.h"
#include "log.h"
#include "platform.h"
#include "run_end.h"
#include "uart.h"
#include "vm.h"
#include "x86.h"

#define GUEST_COM1 0x3f8
#define TESTDEV_PORT 0xe0
#define VGA_CRTC_PORT 0x3d4
#define POST_CODE_PORT 0x80 /* BIOS POST codes; guests write it as an I/O delay */
#define COM1_IRQ 4
#define PLATFORM_PORT_DEVICES PORTBUS_MAX
#define ESC 0x1b
#define TAG_GUEST 'g'
/* Set-1 scancodes (make codes; a break code has bit 7 set). */
#define SC_CTRL 0x1d
#define SC_ALT 0x38
#define SC_F1 0x3b
#define SC_F10 0x44
#define SC_BREAK 0x80

static struct vm *guests;
static int nr_guests = 1;
/* The real keyboard and the real COM1's input belong to one guest: this one. */
static struct vm *input_vm;
static int console_guest = -1; /* whose bytes the console carried last */
static bool ctrl_down, alt_down;
static volatile int focus_wanted = -1; /* set from interrupt handlers, done by platform_poll */

void console_write(struct vm *vm, u8 byte)
{
	if (nr_guests > 1) {
		if (vm->id != console_guest) {
			uart_putc(COM1_PORT, ESC);
			uart_putc(COM1_PORT, TAG_GUEST);
			uart_putc(COM1_PORT, '0' + vm->id);
			console_guest = vm->id;
		}
		if (byte == ESC)
			uart_putc(COM1_PORT, ESC);
	}
	uart_putc(COM1_PORT, byte);
}

static void console_tx(void *vm, u8 byte)
{
	console_write(vm, byte);
}

static void real_crtc_write(void *ctx, u8 index, u8 value)
{
	(void)ctx;
	outb(VGA_CRTC_PORT, index);
	outb(VGA_CRTC_PORT + 1, value);
}

/* Bytes the real COM1 receives (CONTRACT.md 7) reach the guest's COM1. */
static void console_rx(u8 byte)
{
	if (input_vm)
		serial_receive(&input_vm->dev.com1, byte);
}

/* Ctrl+Alt+F(K+1) moves the focus to guest K (CONTRACT.md 10): the F key's make code is
 * the hypervisor's; everything else, the modifiers too, goes on to the focused guest. */
static bool focus_hotkey(u8 scancode)
{
	bool up = scancode & SC_BREAK;
	u8 key = scancode & ~SC_BREAK;

	if (key == SC_CTRL)
		ctrl_down = !up;
	else if (key == SC_ALT)
		alt_down = !up;
	if (nr_guests < 2 || up || !ctrl_down || !alt_down || key < SC_F1 || key > SC_F10)
		return false;
	if (key - SC_F1 < nr_guests)
		platform_request_focus(key - SC_F1);
	return true;
}

/* The real keyboard's bytes (drivers/ps2kbd.c), already translated to set 1. */
static void kbd_input(u8 scancode)
{
	if (!focus_hotkey(scancode) && input_vm)
		i8042_push_scancode(&input_vm->dev.kbd, scancode);
}

void platform_request_focus(int id)
{
	if (id >= 0 && id < nr_guests) {
		focus_wanted = id;
		lab_requests = true;
	}
}

void platform_poll(void)
{
	int id = focus_wanted;

	if (id < 0)
		return;
	focus_wanted = -1;
	if (nr_guests < 2)
		return;
	if (&guests[id] == input_vm) { /* nothing moves, but the request is answered */
		log_printf("@lab focus guest=%d\n", id);
		return;
	}
	/* The guest that loses the keyboard sees the modifiers of the hotkey released. */
	if (ctrl_down)
		i8042_push_scancode(&input_vm->dev.kbd, SC_CTRL | SC_BREAK);
	if (alt_down)
		i8042_push_scancode(&input_vm->dev.kbd, SC_ALT | SC_BREAK);
	vm_move_screen(input_vm, &guests[id]);
	input_vm = &guests[id];
	log_printf("@lab focus guest=%d\n", id);
}

void platform_set_guests(struct vm *vms, int n)
{
	guests = vms;
	nr_guests = n;
	input_vm = &vms[0];
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

/* The local APIC's page: 32-bit registers at offsets within it (devices/lapic.h). */
static u64 lapic_mmio_read(void *state, u64 gpa, u8 size)
{
	return lapic_read(state, gpa - LAPIC_BASE, size);
}

static void lapic_mmio_write(void *state, u64 gpa, u8 size, u64 value)
{
	struct lapic *a = state;
	u32 ipis = a->ipis_ignored;

	lapic_write(a, gpa - LAPIC_BASE, size, value);
	if (a->ipis_ignored != ipis && ipis < 4)
		log_printf("lapic: IPI %#lx not delivered: one CPU, no IPIs\n", value);
}

/* Power-up state of the processor's own APIC (SDM Vol 3A 11.4.7.1): its page at the reset
 * base, the BSP flag set, and, unlike on a PC after its BIOS, globally disabled: the guest
 * starts in PIC mode, as CPUID tells it, and may enable it (core/msr.c). */
static void lapic_init(struct vm *vm)
{
	struct platform *d = &vm->dev;

	vm->vcpu.apic_base = LAPIC_BASE | APIC_BASE_BSP;
	lapic_reset(&d->lapic);
	d->lapic_mmio = (struct mmio_device){ .name = "local APIC", .base = LAPIC_BASE,
					      .size = LAPIC_SIZE, .state = &d->lapic,
					      .read = lapic_mmio_read, .write = lapic_mmio_write };
	if (!vm_register_mmio(vm, &d->lapic_mmio))
		log_printf("lapic: guest RAM reaches its page at %#lx: no local APIC\n",
			   (u64)LAPIC_BASE);
}

void platform_init(struct vm *vm, const struct disk_window *disk)
{
	struct platform *d = &vm->dev;
	struct port_device ports[PLATFORM_PORT_DEVICES];
	int n = 0;

	serial_init(&d->com1, GUEST_COM1, console_tx, vm);
	serial_set_irq(&d->com1, irq_line_of(vm, COM1_IRQ));
	debugcon_init(&d->debugcon, console_tx, vm);
	testdev_init(&d->testdev, TESTDEV_PORT);
	vga_crtc_init(&d->crtc, VGA_CRTC_PORT, real_crtc_write, NULL);
	ports[n++] = serial_dev(&d->com1);
	ports[n++] = debugcon_dev(&d->debugcon);
	ports[n++] = testdev_dev(&d->testdev);
	ports[n++] = vga_crtc_dev(&d->crtc);
	ports[n++] = (struct port_device){ .name = "post", .base = POST_CODE_PORT, .count = 1,
					   .read = ignore_read, .write = ignore_write };
	ports[n++] = debug_exit_dev(&d->debug_exit);
	rtc_init(&d->rtc, wall_seconds, NULL);  /* each guest's own clock, from the machine's */
	ports[n++] = rtc_dev(&d->rtc);
	lapic_init(vm);
	irq_devices_init(vm, ports, &n);
	disk_init(vm, disk, ports, &n);
	for (int i = 0; i < n; i++)
		if (!portbus_register(&vm->bus, ports[i]))
			panic("platform: cannot register %s at port %#x", ports[i].name,
			      ports[i].base);

	if (vm->id == 0) {
		input_vm = vm;
		ps2kbd_init(kbd_input);
		uart_com1_rx_init(console_rx);
	}
}
