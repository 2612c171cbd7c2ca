// The two 8259A PICs, programmed exactly as SWEB does: IRQ 0-7 at vectors
// 0x20-0x27, IRQ 8-15 at 0x28-0x2F, non-specific EOI, never read back.
#include "kernel.h"
#include "trap.h"
#include "x86.h"

#define PIC_MASTER_CMD  0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD   0xA0
#define PIC_SLAVE_DATA  0xA1
#define ICW1_INIT_ICW4  0x11    // edge triggered, cascaded, ICW4 follows
#define ICW3_MASTER_SLAVE_AT_IRQ2 0x04
#define ICW3_SLAVE_ID   0x02
#define ICW4_8086       0x01
#define OCW2_EOI        0x20    // non-specific end of interrupt
#define IRQ_CASCADE     2

// Start with everything masked except the cascade; drivers unmask their line.
static uint8_t master_mask = 0xFF & ~(1 << IRQ_CASCADE), slave_mask = 0xFF;

void pic_init(void)
{
    outb_p(PIC_MASTER_CMD, ICW1_INIT_ICW4);
    outb_p(PIC_MASTER_DATA, IRQ_BASE);
    outb_p(PIC_MASTER_DATA, ICW3_MASTER_SLAVE_AT_IRQ2);
    outb_p(PIC_MASTER_DATA, ICW4_8086);
    outb_p(PIC_SLAVE_CMD, ICW1_INIT_ICW4);
    outb_p(PIC_SLAVE_DATA, IRQ_BASE + 8);
    outb_p(PIC_SLAVE_DATA, ICW3_SLAVE_ID);
    outb_p(PIC_SLAVE_DATA, ICW4_8086);
    outb_p(PIC_MASTER_DATA, master_mask);
    outb_p(PIC_SLAVE_DATA, slave_mask);
}

void pic_unmask(int irq)
{
    if (irq < 8) {
        master_mask &= ~(1 << irq);
        outb_p(PIC_MASTER_DATA, master_mask);
    } else {
        slave_mask &= ~(1 << (irq - 8));
        outb_p(PIC_SLAVE_DATA, slave_mask);
    }
}

// The slave first: its interrupt reached the CPU through the master's IRQ 2,
// which stays in service until the master gets its own EOI.
void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC_SLAVE_CMD, OCW2_EOI);
    outb(PIC_MASTER_CMD, OCW2_EOI);
}
