/*
 * The real 8259A pair (Intel 8259A datasheet 231468): remapped off the exception vectors
 * to HOST_IRQ_VECTOR, every line masked until a driver registers for it. The guest never
 * reaches these ports: it sees the model in devices/pic.c.
 */
#include "hostirq.h"
#include "log.h"
#include "x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20       /* non-specific EOI */
#define OCW3_READ_ISR 0x0b
#define CASCADE_IRQ 2
#define POST_PORT 0x80      /* a write here is the customary I/O delay */

static void (*handlers[HOST_IRQS])(void);
static u16 mask = 0xffff & ~BIT(CASCADE_IRQ);

static void io_delay(void)
{
	outb(POST_PORT, 0);
}

static void write_mask(void)
{
	outb(PIC1_DATA, mask & 0xff);
	outb(PIC2_DATA, mask >> 8);
}

void hostirq_init(void)
{
	/* "Initialization Command Words": ICW1-ICW4 on each chip, as a PC BIOS does. */
	outb(PIC1_CMD, ICW1_INIT_ICW4); io_delay();
	outb(PIC2_CMD, ICW1_INIT_ICW4); io_delay();
	outb(PIC1_DATA, HOST_IRQ_VECTOR); io_delay();
	outb(PIC2_DATA, HOST_IRQ_VECTOR + 8); io_delay();
	outb(PIC1_DATA, BIT(CASCADE_IRQ)); io_delay();  /* ICW3: slave on IR2 */
	outb(PIC2_DATA, CASCADE_IRQ); io_delay();       /* ICW3: slave ID 2 */
	outb(PIC1_DATA, ICW4_8086); io_delay();
	outb(PIC2_DATA, ICW4_8086); io_delay();
	write_mask();
	log_printf("irq: real 8259 pair at vectors %#x-%#x\n", HOST_IRQ_VECTOR,
		   HOST_IRQ_VECTOR + HOST_IRQS - 1);
}

void hostirq_register(int irq, void (*fn)(void))
{
	handlers[irq] = fn;
	mask &= ~BIT(irq);
	write_mask();
}

static u8 read_isr(u16 cmd_port)
{
	outb(cmd_port, OCW3_READ_ISR);
	return inb(cmd_port);
}

void hostirq_dispatch(int irq)
{
	/* "Interrupt Sequence": an IR7 (IR15) whose ISR bit is clear is spurious; the
	 * master's IR2 is in service for a spurious IR15 and needs its EOI. */
	if (irq == 7 && !(read_isr(PIC1_CMD) & BIT(7)))
		return;
	if (irq == 15 && !(read_isr(PIC2_CMD) & BIT(7))) {
		outb(PIC1_CMD, OCW2_EOI);
		return;
	}
	if (handlers[irq])
		handlers[irq]();
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}
