// eoi: the in-service register. Until its EOI an IRQ is not delivered again, nor is a
// lower-priority one; a specific EOI (OCW2 0x60 | level) ends exactly that level, a
// non-specific one (OCW2 0x20) the highest-priority level in service; OCW3
// reads show ISR and IRR (8259A datasheet, "Fully Nested Mode", "End of Interrupt",
// "Reading the 8259A Status").
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

static volatile uint32_t count0, count3;
static volatile bool irq0_sends_eoi, irq3_sends_eoi = true;

static void on_irq0(struct exception_frame *frame)
{
    (void)frame;
    count0++;
    if (irq0_sends_eoi)
        pic_specific_eoi(0);
}

static void on_irq3(struct exception_frame *frame)
{
    (void)frame;
    count3++;
    if (irq3_sends_eoi)
        pic_specific_eoi(3);
}

int main(struct multiboot_info *info)
{
    (void)info;
    if (!report("the hypervisor gives the TSC rate", tsc_khz() > 0))
        return report_summary();
    pic_init();
    irq_set_handler(0, on_irq0);
    irq_set_handler(3, on_irq3);
    pit_periodic(1000);
    pic_set_mask(0xFFFF & ~(1u << 0 | 1u << 3));

    // IRQ0's handler sends no EOI: one delivery, then IRQ0 stays in service.
    sti();
    delay_us(20000);
    cli();
    report("IRQ0 without EOI is delivered exactly once", count0 == 1);
    uint16_t isr = pic_read_isr(), irr = pic_read_irr();
    printf("eoi: ISR 0x%04x IRR 0x%04x with IRQ0 in service\n", isr, irr);
    report("ISR (OCW3 0x0B) shows IRQ0 in service", isr == 0x0001);
    report("IRR (OCW3 0x0A) shows the next IRQ0 pending", irr & 1);

    // A lower-priority request waits while IRQ0 is in service.
    outb(TEST_IRQ_PORT, 3);
    sti();
    delay_us(2000);
    cli();
    report("lower-priority IRQ3 waits while IRQ0 is in service", count3 == 0);
    report("IRR shows IRQ3 requested", pic_read_irr() & 1u << 3);

    // A specific EOI for a level not in service changes nothing.
    outb(PIC_MASTER_CMD, PIC_SPECIFIC_EOI | 5);
    report("specific EOI for IR5 leaves IR0 in service", pic_read_isr() == 0x0001);

    // The specific EOI for IR0 ends its service: IRQ0 (pending, higher) comes first,
    // and once it EOIs as well, IRQ3.
    irq0_sends_eoi = true;
    outb(PIC_MASTER_CMD, PIC_SPECIFIC_EOI | 0);
    report("specific EOI (0x60) clears IR0 in ISR", pic_read_isr() == 0);
    uint32_t before = count0;
    sti();
    delay_us(5000);
    cli();
    report("IRQ0 is delivered again after its EOI", count0 > before);
    report("IRQ3 is delivered once nothing above it is in service", count3 == 1);
    report("ISR is clear after the handlers' specific EOIs", (pic_read_isr() & ~1u) == 0);

    // Nested: IR3 in service, then the higher IRQ0 on top of it, neither EOIed. A
    // non-specific EOI ends IR0 (the highest in service) and leaves IR3.
    irq0_sends_eoi = irq3_sends_eoi = false;
    pic_specific_eoi(0);
    pic_set_mask(0xFFFF & ~(1u << 3));
    before = count3;
    outb(TEST_IRQ_PORT, 3);
    sti();
    delay_us(2000);
    cli();
    pic_set_mask(0xFFFF & ~(1u << 0 | 1u << 3));
    sti();
    delay_us(5000);
    cli();
    pit_stop();
    pic_set_mask(0xFFFF);
    isr = pic_read_isr();
    printf("eoi: ISR 0x%04x with IR3, then IR0, in service\n", isr);
    report("IRQ0 nests on top of IR3 in service", count3 == before + 1 && isr == 0x0009);
    outb(PIC_MASTER_CMD, PIC_EOI);
    report("non-specific EOI (0x20) ends IR0, the highest in service", pic_read_isr() == 0x0008);
    outb(PIC_MASTER_CMD, PIC_EOI);
    report("a second non-specific EOI ends IR3, and ISR is empty", pic_read_isr() == 0);
    return report_summary();
}
