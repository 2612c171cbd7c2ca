// cascade: the slave 8259 on the master's IR2. IRQs 8-15, raised through the test
// device's port 0xE8 (docs/CONTRACT.md 6), arrive at vectors 0x28-0x2F with both chips'
// ISR bits set; priority runs IR0, IR1, the slave's IR8-15, then IR3-7 (8259A datasheet,
// "Cascade Mode", "Fully Nested Mode"); and spurious requests give IR7 / IR15 without an
// ISR bit of their own ("Interrupt Sequence").
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define MAX_SEEN 16

static volatile unsigned seen[MAX_SEEN], nr_seen;
static volatile uint16_t isr_in_handler;

static void recording_handler(struct exception_frame *frame)
{
    unsigned irq = frame->vector - IRQ_VECTOR_BASE;

    if (nr_seen < MAX_SEEN)
        seen[nr_seen] = irq;
    nr_seen++;
    isr_in_handler = pic_read_isr();
    pic_eoi(irq);
}

static volatile unsigned spurious7, spurious15;
static volatile uint16_t isr_at_spurious;

static void on_irq7(struct exception_frame *frame)
{
    (void)frame;
    isr_at_spurious = pic_read_isr();
    if (isr_at_spurious & 1u << 7)
        pic_eoi(7);     // a real IRQ7
    else
        spurious7++;    // spurious: no EOI
}

static void on_irq15(struct exception_frame *frame)
{
    (void)frame;
    isr_at_spurious = pic_read_isr();
    if (isr_at_spurious & 1u << 15) {
        pic_eoi(15);
    } else {
        spurious15++;   // spurious on the slave: the master's IR2 is in service
        outb(PIC_MASTER_CMD, PIC_EOI);
    }
}

static void take_pending(void)
{
    asm volatile("sti; nop; nop; cli" ::: "memory");
}

static void check_each_slave_irq(void)
{
    unsigned right_vector = 0, right_isr = 0;

    pic_set_mask(0xFFFF & ~0xFF04);    // the cascade and all of the slave
    for (unsigned irq = 8; irq < 15; irq++) {
        nr_seen = 0;
        isr_in_handler = 0;
        outb(TEST_IRQ_PORT, irq);
        take_pending();
        if (nr_seen == 1 && seen[0] == irq)
            right_vector++;
        if (isr_in_handler == (1u << irq | 1u << PIC_CASCADE))
            right_isr++;
        else
            printf("cascade: IRQ%u: ISR 0x%04x in its handler\n", irq, isr_in_handler);
    }
    report("IRQ 8-14 arrive once each at vectors 0x28-0x2E", right_vector == 7);
    report("in the handler the slave's level and the master's IR2 are in service",
           right_isr == 7);
    report("ISR is clear after EOI to slave then master", pic_read_isr() == 0);
}

static void check_priority(void)
{
    pic_set_mask(0xFFFF & ~(1u << 1 | 1u << 2 | 1u << 3 | 1u << 6 | 1u << 9 | 1u << 13));
    nr_seen = 0;
    // Raised in an order unlike their priority, with interrupts off.
    outb(TEST_IRQ_PORT, 6);
    outb(TEST_IRQ_PORT, 13);
    outb(TEST_IRQ_PORT, 3);
    outb(TEST_IRQ_PORT, 9);
    outb(TEST_IRQ_PORT, 1);
    report("all five requests show in IRR",
           (pic_read_irr() & 0x224A) == 0x224A);
    take_pending();
    // Each handler EOIs before returning, so they come one after the other by priority.
    asm volatile("sti; nop; nop; nop; nop; nop; nop; cli" ::: "memory");
    printf("cascade: order");
    for (unsigned i = 0; i < nr_seen && i < MAX_SEEN; i++)
        printf(" %u", seen[i]);
    printf("\n");
    report("priority across the cascade: 1, 9, 13, 3, 6",
           nr_seen == 5 && seen[0] == 1 && seen[1] == 9 && seen[2] == 13 &&
           seen[3] == 3 && seen[4] == 6);
}

static void check_spurious(void)
{
    // IRQ11 raised, then masked at the slave before the CPU takes it: the master's IR2
    // edge is latched, the acknowledge finds nothing on the slave: IR15, spurious.
    pic_set_mask(0xFFFF & ~(1u << 2 | 1u << 11));
    outb(TEST_IRQ_PORT, 11);
    pic_mask(11);
    take_pending();
    report("a vanished slave request arrives as spurious IRQ15", spurious15 == 1);
    report("... with the master's IR2 in service and nothing on the slave",
           isr_at_spurious == 1u << PIC_CASCADE);
    report("ISR is clear after the master-only EOI", pic_read_isr() == 0);

    // The test device's too-short request: the acknowledge finds no request at all.
    pic_set_mask(0xFFFF);
    outb(TEST_IRQ_PORT, TEST_IRQ_GLITCH);
    take_pending();
    report("a request gone before the acknowledge arrives as spurious IRQ7", spurious7 == 1);
    report("... with nothing in service", isr_at_spurious == 0);
}

int main(struct multiboot_info *info)
{
    (void)info;
    pic_init();
    for (unsigned irq = 0; irq < IRQ_LINES; irq++)
        irq_set_handler(irq, recording_handler);
    irq_set_handler(7, on_irq7);
    irq_set_handler(15, on_irq15);
    check_each_slave_irq();
    check_priority();
    check_spurious();
    return report_summary();
}
