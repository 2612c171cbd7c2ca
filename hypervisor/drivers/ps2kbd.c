/*
 * The real i8042 and the PS/2 keyboard behind it (IBM PS/2 Technical Reference; osdev.org
 * "8042 PS/2 Controller"). The firmware left the keyboard scanning; the hypervisor makes
 * sure the controller translates to set 1 and interrupts on IRQ1, then hands every byte
 * to the core, which pushes it into the guest's i8042 model.
 */
#include "hostirq.h"
#include "log.h"
#include "x86.h"

#define KBD_DATA 0x60
#define KBD_STATUS 0x64
#define KBD_CMD 0x64
#define STATUS_OBF 0x01
#define STATUS_IBF 0x02
#define STATUS_AUX 0x20
#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CTR_KBD_INT 0x01
#define CTR_KBD_DISABLE 0x10
#define CTR_XLATE 0x40
#define SPIN_LIMIT 1000000

static void (*kbd_sink)(u8);

static bool wait_status(u8 bit, bool set)
{
	for (int i = 0; i < SPIN_LIMIT; i++)
		if (!!(inb(KBD_STATUS) & bit) == set)
			return true;
	return false;
}

static void kbd_irq(void)
{
	while (inb(KBD_STATUS) & STATUS_OBF) {
		u8 status = inb(KBD_STATUS), code = inb(KBD_DATA);

		if (!(status & STATUS_AUX) && kbd_sink)
			kbd_sink(code);
	}
}

void ps2kbd_init(void (*sink)(u8 scancode))
{
	u8 ctr;

	kbd_sink = sink;
	for (int i = 0; i < 64 && (inb(KBD_STATUS) & STATUS_OBF); i++)
		(void)inb(KBD_DATA);
	if (!wait_status(STATUS_IBF, false))
		goto broken;
	outb(KBD_CMD, CMD_READ_CTR);
	if (!wait_status(STATUS_OBF, true))
		goto broken;
	ctr = inb(KBD_DATA);
	ctr = (ctr | CTR_KBD_INT | CTR_XLATE) & ~CTR_KBD_DISABLE;
	if (!wait_status(STATUS_IBF, false))
		goto broken;
	outb(KBD_CMD, CMD_WRITE_CTR);
	if (!wait_status(STATUS_IBF, false))
		goto broken;
	outb(KBD_DATA, ctr);
	hostirq_register(HOST_IRQ_KBD, kbd_irq);
	log_printf("kbd: real i8042 command byte %#x, keyboard on IRQ1\n", ctr);
	return;
broken:
	log_printf("kbd: the real i8042 does not answer: no keyboard input\n");
}
